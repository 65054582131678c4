# Soft trust without a strong view: the agreement rank weighs every
# pseudo-label (gamma 0.2 cut), the receiver learns on the teacher's view.
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct_2gen.py']
model = dict(gate=dict(gamma=0.2, weighting='rank'))
