# U-Net++ teacher of taichinet_busi-cpu128-w32.py at the paper's width (levels
# 32-64-128-256-512, deep supervision, 9,159,204 parameters), same data,
# augmentation and schedule as its students (1200 iterations, validation every
# 100); trained and mined per fold by tools/cross_val.py
# --curriculum-teacher, or by hand:
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-cpu128-w32.py \
#       --out work_dirs/curriculum/busi-cpu128-w32_fold0 --device cpu
# As a comparison model of its own:
#   python tools/cross_val.py configs/taichinet/unetpp_busi-cpu128-w32.py \
#       --num-folds 5 --data-root data/BUSI --amp auto
# Check the schedule: the best checkpoint must not lie in the last 10% of
# training (at 1100 or 1200); see taichinet_busi-cpu128-w32.py.
_base_ = ['./unetpp_busi-cpu128.py']
model = dict(channels=(32, 64, 128, 256, 512))
train_cfg = dict(max_iters=1200, val_interval=100)
amp = 'auto'
channels_last = 'auto'
