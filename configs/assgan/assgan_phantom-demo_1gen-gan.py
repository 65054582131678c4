# On the built-in phantoms: "1 generator + GAN" (the paper's Table 9): generator A with Hung et al.'s
# D (base width 16, thresholded mask) and L_adv 0.01, labeled images only.
_base_ = ['./assgan_phantom-demo_1gen.py']
model = dict(
    discriminator=dict(_delete_=True, type='PatchDiscriminator',
                       in_channels=1, base_channels=16),
    semi_train_cfg=dict(lambda_adv=0.01, adv_warmup=False,
                        d_input=dict(binarize=True, with_image=False)))
optim_wrapper = dict(discriminator=dict(_delete_=True,
                                        optimizer=dict(lr=1e-4)))
