# TaiChiNet on a BUSI folder (benign + malignant), short CPU variant measured
# on busi-dev: the phantom demo's network at half width (sub-U-Nets with
# 8-16-32-64-128 channels, 1.15M parameters), grey 128x128 input, the paper's augmentations,
# batch 8, Adam 1e-3, 600 iterations with the stage switch at 300; 10% of the
# non-test images validate (best checkpoint by val IoU).
# Cross-validated with per-fold curriculum masks from the U-Net++ teacher:
#   python tools/cross_val.py configs/taichinet/taichinet_busi-cpu128.py \
#       --curriculum-teacher configs/taichinet/unetpp_busi-cpu128.py \
#       --num-folds 3 --data-root data/BUSI
# The paper-size configuration is taichinet_busi-224.py.
# Fast path: amp = 'auto' trains in bf16 where the CPU has native bf16
# (AVX-512 BF16 / AMX), in fp32 elsewhere; channels_last = 'auto' takes the
# layout from bus_mm/engine/fast_path.py LAYOUT (U-Net family: bf16
# training NCHW with AMX, NHWC on AVX-512 BF16 alone; NHWC for fp32 and for
# inference; see docs/advanced_guides/fast_path.md).
# --no-amp / --no-channels-last (or --channels-last) force them.
_base_ = ['./taichinet_phantom-demo.py']
data_root = 'data/BUSI'
split = dict(_delete_=True, type='kfold', num_folds=5, fold=0, val=0.1, seed=0)
# Without cross_val.py, point LoadCurriculumMasks (train pipeline index 2) at
# the masks of prepare_curriculum.py --out DIR:
#   --cfg-options train_dataloader.dataset.pipeline.2.curriculum_dir=DIR
_ds = dict(data_root=data_root, split=split)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
model = dict(backbone=dict(base_channels=8))
train_cfg = dict(max_iters=600, val_interval=100)
amp = 'auto'
channels_last = 'auto'
