# Table 9 ablation "2 generators": mutual supervision without a discriminator,
# so every prediction on an unlabeled image becomes a pseudo-label.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=None)
optim_wrapper = dict(discriminator=None)
