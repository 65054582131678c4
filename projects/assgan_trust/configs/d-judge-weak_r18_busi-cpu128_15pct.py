# The default (D as a judge beside the agreement rank) without the strong
# view: the receiver learns each pseudo-label on the teacher's own view.
# agree-rank (the same gate without D) beat accept-all on the first unit
# where the strong view cost; this arm asks whether the default should drop
# the strong view.
_base_ = ['./d-judge_r18_busi-cpu128_15pct.py']
model = dict(semi_train_cfg=dict(strong_aug=None))
