# Table 9 ablation "2 generators": mutual supervision without a discriminator
# and without a gate (gamma = 0 lets every prediction pass),
# so every prediction on an unlabeled image becomes a pseudo-label.
_base_ = ['./assgan_busi-cpu128_15pct.py']
# (The default gate's agreement scores are still computed and logged.)
model = dict(discriminator=None, gamma=0.0)
