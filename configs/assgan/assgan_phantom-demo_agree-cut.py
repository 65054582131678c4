# On the built-in phantoms. The agreement cut without D (gamma 0.5, weight
# 1 above the cut, no strong view).
_base_ = ['./assgan_phantom-demo_2gen.py']
model = dict(gate=dict(gamma=0.5))
