# D as the judge of the thresholded mask: D (base width 16) sees the hard
# pseudo-label alone, and the lowest-scored gamma = 20% of recent
# predictions are rejected (DiscriminatorGate with quantile); no L_adv, D
# learns in the supervised phase only; no strong view.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(
    discriminator=dict(_delete_=True, type='PatchDiscriminator',
                       in_channels=1, base_channels=16),
    gate=dict(_delete_=True, type='DiscriminatorGate', gamma=0.2,
              quantile=True),
    semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False,
                        d_input=dict(binarize=True, with_image=False),
                        strong_aug=None))
