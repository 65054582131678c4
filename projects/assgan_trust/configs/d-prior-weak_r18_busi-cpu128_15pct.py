# D as a shape prior (L_adv 0.01 on labeled and unlabeled predictions, D
# keeps learning) on top of the agreement-rank gate, without the strong
# view: the receiver learns each pseudo-label on the teacher's own view.
# The twin of agree-rank with D, as d-judge-weak is with D as a judge.
_base_ = ['./d-prior_r18_busi-cpu128_15pct.py']
model = dict(semi_train_cfg=dict(strong_aug=None))
