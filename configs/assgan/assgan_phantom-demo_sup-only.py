# The supervised-only reference for the ASSGAN demo: both generators as in
# assgan_phantom-demo.py, no D, and the semi-supervised phase never starts
# (Algorithm 1 for the whole schedule). Compare its test IoU with the full
# ASSGAN run to see what the unlabeled images add.
_base_ = ['./assgan_phantom-demo.py']
model = dict(discriminator=None,
             gate=dict(_delete_=True, type='AgreementGate', gamma=0.2,
                       weighting='rank'),
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False))
optim_wrapper = dict(discriminator=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=50)]
