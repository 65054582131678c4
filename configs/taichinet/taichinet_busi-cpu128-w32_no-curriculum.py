# TaiChiNet without the easy-to-hard curriculum (Table I Model 7: both
# sub-U-Nets, C2-attention, the complementary head and loss; 18,317,412
# parameters, Table I: 18.33M) at the paper's width (32-64-128-256-512) on the
# data and schedule of taichinet_busi-cpu128-w32.py: 128x128, batch 8, Adam
# 1e-3, 1200 iterations, validation every 100. No curriculum masks are needed.
# Check the schedule: the best checkpoint (fold_*/best_IoU_iter_*.pth) must
# not lie in the last 10% of training (at 1100 or 1200); see
# taichinet_busi-cpu128-w32.py.
#   python tools/cross_val.py configs/taichinet/taichinet_busi-cpu128-w32_no-curriculum.py \
#       --num-folds 5 --data-root data/BUSI --amp auto
# Table I's other rows on the same footing: --cfg-options model.ablation=modelN.
_base_ = ['./taichinet_busi-cpu128_no-curriculum.py']
model = dict(backbone=dict(base_channels=32))
train_cfg = dict(max_iters=1200, val_interval=100)
amp = 'auto'
channels_last = 'auto'
