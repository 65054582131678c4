# The default trust rule (agreement rank, gamma 0.2, strong view) without a
# discriminator: what D's role costs or adds.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=None,
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False))
optim_wrapper = dict(discriminator=None)
