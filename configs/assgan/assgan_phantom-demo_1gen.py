# Table 9 ablation "1 generator": DeepLabV3+ alone, supervised on the labeled
# 15% (no discriminator, no semi-supervised phase). Same data, schedule, seed.
_base_ = ['./assgan_phantom-demo.py']
# (no partner to agree with: the gate is one that needs no second generator)
model = dict(generator_b=None, discriminator=None,
             gate=dict(_delete_=True, type='MaskQualityGate'))
optim_wrapper = dict(generator_b=None, discriminator=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=50)]
