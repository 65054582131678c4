# U-Net (TaiChiNet's Table I Model 1) on the data and schedule of
# taichinet_busi-with-normal-cpu128.py (normal images included; test metrics
# add the normal_* and lesion_* figures of BUSMetric):
#   python tools/cross_val.py configs/taichinet/unet_busi-with-normal-cpu128.py \
#       --num-folds 5 --data-root data/BUSI
_base_ = ['./unet_busi-cpu128.py']
include_normal = True
train_dataloader = dict(dataset=dict(include_normal=include_normal))
val_dataloader = dict(dataset=dict(include_normal=include_normal))
test_dataloader = dict(dataset=dict(include_normal=include_normal))
