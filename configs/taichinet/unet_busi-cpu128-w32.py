# U-Net (TaiChiNet's Table I Model 1: the positive-path sub-U-Net alone) at the
# paper's width (32-64-128-256-512, 8,633,345 parameters; Table I: 8.64M) on
# the data and schedule of taichinet_busi-cpu128-w32.py: 128x128, batch 8,
# Adam 1e-3, 1200 iterations, validation every 100. The baseline TaiChiNet is
# compared with (the paper: Dice 0.758 against TaiChiNet's 0.836).
# Check the schedule: the best checkpoint (fold_*/best_IoU_iter_*.pth) must
# not lie in the last 10% of training (at 1100 or 1200); see
# taichinet_busi-cpu128-w32.py.
#   python tools/cross_val.py configs/taichinet/unet_busi-cpu128-w32.py \
#       --num-folds 5 --data-root data/BUSI --amp auto
_base_ = ['./unet_busi-cpu128.py']
model = dict(backbone=dict(base_channels=32))
train_cfg = dict(max_iters=1200, val_interval=100)
amp = 'auto'
channels_last = 'auto'
