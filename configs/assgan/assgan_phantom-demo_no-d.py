# On the built-in phantoms. The default trust rule without a discriminator.
_base_ = ['./assgan_phantom-demo.py']
model = dict(discriminator=None,
             gate=dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank'),
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False))
optim_wrapper = dict(discriminator=None)
