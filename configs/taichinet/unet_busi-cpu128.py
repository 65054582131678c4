# U-Net (TaiChiNet's Table I Model 1: the positive-path sub-U-Net alone, at
# the width of taichinet_busi-cpu128.py, 0.54M parameters) on the data and schedule of
# taichinet_busi-cpu128.py: the baseline TaiChiNet is compared with.
#   python tools/cross_val.py configs/taichinet/unet_busi-cpu128.py \
#       --num-folds 3 --data-root data/BUSI
_base_ = ['./taichinet_busi-cpu128_no-curriculum.py']
model = dict(ablation='model1')
