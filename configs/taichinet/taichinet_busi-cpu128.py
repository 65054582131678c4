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
# Fast path: channels-last (NHWC) by default, as `tools/analysis_tools/bench.py --sections
# fastpath` recommends for this model family (fp32 on a 2-core AMD EPYC
# without bf16, 2026-11-30: TaiChiNet cpu128 1.41x train / 1.51x inference,
# U-Net cpu128 1.34x / 1.84x); masks equal fp32's (tools/analysis_tools/amp_parity.py).
# --no-channels-last restores NCHW. bf16 (--amp) is not on by default: its
# accuracy parity has not been measured on a CPU with native bf16 yet.
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
channels_last = True
