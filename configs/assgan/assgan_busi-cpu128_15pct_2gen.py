# "2 generators" (the paper's Table 9): no D, every pseudo-label accepted,
# each generator learns the other's prediction on the same (weak) view.
# The gate still scores agreement (gamma 0 rejects nothing), for the audit.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=None,
             gate=dict(_delete_=True, type='AgreementGate', gamma=0.0),
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False,
                                 strong_aug=None))
optim_wrapper = dict(discriminator=None)
