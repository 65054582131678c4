# U-Net++ teacher of taichinet_busi-cpu128.py (levels 8-16-32-64-128, 0.57M
# parameters), same data, augmentation and schedule; trained and mined per
# fold by tools/cross_val.py --curriculum-teacher, or by hand:
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-cpu128.py \
#       --out work_dirs/curriculum/busi-cpu128_fold0 --device cpu
# Fast path: channels-last (NHWC) by default, as `tools/analysis_tools/bench.py --sections
# fastpath` recommends for this model family (fp32 on a 2-core AMD EPYC
# without bf16, 2026-11-30: TaiChiNet cpu128 1.41x train / 1.51x inference,
# U-Net cpu128 1.34x / 1.84x); masks equal fp32's (tools/analysis_tools/amp_parity.py).
# --no-channels-last restores NCHW. bf16 (--amp) is not on by default: its
# accuracy parity has not been measured on a CPU with native bf16 yet.
_base_ = ['./unetpp_phantom-demo.py']
data_root = 'data/BUSI'
split = dict(_delete_=True, type='kfold', num_folds=5, fold=0, val=0.1, seed=0)
_ds = dict(data_root=data_root, split=split)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
train_cfg = dict(max_iters=600, val_interval=100)
channels_last = True
