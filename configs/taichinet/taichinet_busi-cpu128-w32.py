# TaiChiNet at the paper's width on the CPU footing of taichinet_busi-cpu128.py:
# sub-U-Nets with 32-64-128-256-512 channels (Table I / Fig. 3; 18,317,412
# parameters, Table I: 18.33M), grey 128x128 input, the paper's
# augmentations, batch 8, Adam 1e-3; 10% of the non-test images validate
# (best checkpoint by val IoU, validation every 100 iterations).
# Schedule: 1200 iterations, stage switch at 600 (CurriculumHook, max_iters // 2).
# At width 8, 32 of 40 power-study runs picked their best checkpoint at
# iteration 500-600 of 600, and 6 of 8 runs of the 1200-iteration pilot
# picked one after 600 (docs/studies/taichinet_power_study_busi-dev.md,
# docs/studies/taichinet_1200-iteration_pilot.md), so 600 is too short.
# Check the schedule on every run: the best checkpoint
# (fold_*/best_IoU_iter_*.pth) must not lie in the last 10% of training
# (here: at 1100 or 1200); if it does, training was not finished and
# train_cfg.max_iters must grow before the results are read.
# 5-fold cross-validation, each fold mining its curriculum with the U-Net++
# teacher at the same width:
#   python tools/cross_val.py configs/taichinet/taichinet_busi-cpu128-w32.py \
#       --curriculum-teacher configs/taichinet/unetpp_busi-cpu128-w32.py \
#       --num-folds 5 --data-root data/BUSI --amp auto
# Compared with unet_busi-cpu128-w32.py (Model 1) and
# taichinet_busi-cpu128-w32_no-curriculum.py (Model 7); the whole study:
#   bash scripts/taichinet_power_study.sh data/BUSI work_dirs/power-w32 32
# Cost per training iteration: tools/analysis_tools/bench.py --sections
# taichinet-w32. Fast path as taichinet_busi-cpu128.py (amp / channels_last
# 'auto').
_base_ = ['./taichinet_busi-cpu128.py']
model = dict(backbone=dict(base_channels=32))
train_cfg = dict(max_iters=1200, val_interval=100)
amp = 'auto'
channels_last = 'auto'
