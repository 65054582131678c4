# U-Net++ teacher of taichinet_busi-with-normal-cpu128-w32.py:
# unetpp_busi-with-normal-cpu128.py at the paper's width (levels
# 32-64-128-256-512, 9,159,204 parameters) and on its students' schedule (1200
# iterations, validation every 100). Trained and mined per fold by
# tools/cross_val.py --curriculum-teacher, or by hand:
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-with-normal-cpu128-w32.py \
#       --out work_dirs/curriculum/busi-with-normal-cpu128-w32_fold0 --device cpu
# Check the schedule: the best checkpoint must not lie in the last 10% of
# training (at 1100 or 1200); see taichinet_busi-cpu128-w32.py.
_base_ = ['./unetpp_busi-with-normal-cpu128.py']
model = dict(channels=(32, 64, 128, 256, 512))
train_cfg = dict(max_iters=1200, val_interval=100)
amp = 'auto'
channels_last = 'auto'
