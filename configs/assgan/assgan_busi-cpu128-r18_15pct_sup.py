# Full-width R18 generators (assgan_busi-cpu128-r18_15pct.py) trained on the
# labeled images only: the supervised row, to compare with stock mmseg's
# DeepLabV3+ R18 (configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py).
_base_ = ['./assgan_busi-cpu128-r18_15pct.py']
model = dict(discriminator=None)
optim_wrapper = dict(discriminator=None)
custom_hooks = [dict(type='SplitRecorderHook'),
                dict(type='ASSGANHook', semi_start=None, epoch_length=25)]
