# Supervised baselines at 15% labels: DeepLabV3+ and PSPNet trained on the
# labeled images only, each with its own loss (no discriminator, no
# semi-supervised phase), same data, folds and schedule as
# assgan_busi-cpu128_15pct.py. `tools/test.py --predict-with generator_a
# generator_b` (done by tools/cross_val.py) reports each network alone.
_base_ = ['./assgan_busi-cpu128_15pct.py']
model = dict(discriminator=None)
optim_wrapper = dict(discriminator=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=25)]
