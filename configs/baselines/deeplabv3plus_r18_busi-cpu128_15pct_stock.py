# Stock mmseg DeepLabV3+ R18 (mmseg's own model config, 2-class softmax
# cross-entropy, AdamW + poly) trained on the LABELED images of
# assgan_busi-cpu128_15pct.py only: same folds, 15% labels, 128x128, batch 4
# labeled images, 800 iterations. The reference every ASSGAN row must beat:
# a user who does not use bus_mm would train this.
#   python tools/cross_val.py configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py \
#       --num-folds 3 --data-root data/BUSI
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adam_iter.py'
]
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)   # CPU: no SyncBN
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
    seg_pad_val=255, size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=512, channels=128, c1_in_channels=64,
                     c1_channels=12, num_classes=2, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=256, channels=64, num_classes=2,
                        norm_cfg=norm_cfg))
data_root = 'data/BUSI'
split = dict(type='kfold', num_folds=5, fold=0, val=0.1, labeled=0.15, seed=0)
train_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='LoadBUSAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackBUSInputs'),
]
test_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBUSAnnotations'),
    dict(type='PackBUSInputs'),
]
_ds = dict(type='BUSIDataset', data_root=data_root, split=split,
           include_normal=False)
train_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**_ds, split_part='labeled', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_ds, split_part='val', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_ds, split_part='test', pipeline=test_pipeline))
val_evaluator = dict(type='BUSMetric')
test_evaluator = val_evaluator
max_iters = 800
# AdamW + poly instead of the schedule's Adam + constant lr (stock mmseg)
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.01))
param_scheduler = [dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=0,
                        end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=100)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=100))
custom_hooks = [dict(type='SplitRecorderHook')]
