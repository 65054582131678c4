# On the built-in phantoms: "1 generator" (the paper's Table 9): generator A alone, trained on the
# labeled images (no D, no semi-supervised phase).
_base_ = ['./assgan_phantom-demo.py']
model = dict(generator_b=None, discriminator=None,
             gate=dict(_delete_=True, type='AcceptAllGate'),
             semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False,
                                 strong_aug=None))
optim_wrapper = dict(generator_b=None, discriminator=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=50)]
