# The phantom demo with a stricter trust gate: the least-agreeing 70% of
# recent pseudo-labels are rejected (gamma 0.7 instead of 0.2).
_base_ = ['./assgan_phantom-demo.py']
model = dict(gate=dict(gamma=0.7))
