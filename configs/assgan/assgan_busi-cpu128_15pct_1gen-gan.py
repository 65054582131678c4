# Table 9 ablation "1 generator + GAN": DeepLabV3+ trained with the
# discriminator's adversarial loss on the labeled images. As the paper says,
# one generator has no partner to teach, so no unlabeled image is used.
# (Setting a semi_start here instead gives Hung et al.'s self-training.)
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(generator_b=None)
optim_wrapper = dict(generator_b=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=25)]
