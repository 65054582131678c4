# Table 9 ablation "1 generator + GAN": DeepLabV3+ trained with the
# discriminator's adversarial loss on the labeled images. As the paper says,
# one generator has no partner to teach, so no unlabeled image is used.
# (Setting a semi_start here instead gives Hung et al.'s self-training.)
_base_ = ['./assgan_busi-cpu128_15pct_1gen.py']   # one generator, no semi phase
model = dict(lambda_adv=0.01, discriminator=dict(
    _delete_=True, type='PatchDiscriminator', in_channels=1, base_channels=16))
optim_wrapper = dict(discriminator=dict(_delete_=True, optimizer=dict(lr=1e-4)))
