# assgan_busi-cpu128_15pct.py trained on the labeled images only (no
# semi-supervised phase, no D): the supervised row of every ASSGAN table.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=None,
             gate=dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank'),
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False))
optim_wrapper = dict(discriminator=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=25)]
