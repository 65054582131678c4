# U-Net++ teacher of taichinet_busi-cpu128.py (levels 8-16-32-64-128, 0.57M
# parameters), same data, augmentation and schedule; trained and mined per
# fold by tools/cross_val.py --curriculum-teacher, or by hand:
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-cpu128.py \
#       --out work_dirs/curriculum/busi-cpu128_fold0 --device cpu
# Fast path: amp = 'auto' trains in bf16 where the CPU has native bf16
# (AVX-512 BF16 / AMX), in fp32 elsewhere; channels_last = 'auto' takes the
# layout from bus_mm/engine/fast_path.py LAYOUT (U-Net family: bf16
# training NCHW with AMX, NHWC on AVX-512 BF16 alone; NHWC for fp32 and for
# inference; see docs/advanced_guides/fast_path.md).
# --no-amp / --no-channels-last (or --channels-last) force them.
_base_ = ['./unetpp_phantom-demo.py']
data_root = 'data/BUSI'
split = dict(_delete_=True, type='kfold', num_folds=5, fold=0, val=0.1, seed=0)
_ds = dict(data_root=data_root, split=split)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
train_cfg = dict(max_iters=600, val_interval=100)
amp = 'auto'
channels_last = 'auto'
