# taichinet_busi-with-normal-cpu128.py at the paper's width (sub-U-Nets
# 32-64-128-256-512, 18,317,412 parameters) and on the schedule of
# taichinet_busi-cpu128-w32.py (1200 iterations, stage switch at 600,
# validation every 100): BUSI's normal images in training, validation and
# test, with its own teacher at the same width:
#   python tools/cross_val.py configs/taichinet/taichinet_busi-with-normal-cpu128-w32.py \
#       --curriculum-teacher configs/taichinet/unetpp_busi-with-normal-cpu128-w32.py \
#       --num-folds 5 --data-root data/BUSI --amp auto
# Check the schedule: the best checkpoint must not lie in the last 10% of
# training (at 1100 or 1200); see taichinet_busi-cpu128-w32.py.
_base_ = ['./taichinet_busi-with-normal-cpu128.py']
model = dict(backbone=dict(base_channels=32))
train_cfg = dict(max_iters=1200, val_interval=100)
amp = 'auto'
channels_last = 'auto'
