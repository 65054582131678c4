# The default trust rule (agreement rank, gamma 0.2) without a
# discriminator: what D's role costs or adds.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=None,
             gate=dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank'),
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False))
optim_wrapper = dict(discriminator=None)
