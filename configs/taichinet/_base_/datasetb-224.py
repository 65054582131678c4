# Dataset B (UDIAT, 163 images) with the TaiChiNet settings of busi-224.py:
# 224x224, batch 16, the same augmentations, five-fold CV (fold 0 here).
_base_ = ['../../_base_/datasets/udiat.py']
crop_size = (224, 224)
split = dict(_delete_=True, type='kfold', num_folds=5, fold=0, seed=0)
curriculum_dir = 'work_dirs/curriculum/datasetb_fold0'
plain_train_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='LoadBUSAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomRot90', prob=0.5, angles=(90, 180, 270)),
    dict(type='RandomRotate', prob=0.5, degree=10, pad_val=0, seg_pad_val=0),
    dict(type='RandomGamma', prob=0.5, gamma_range=(0.5, 1.5)),
    dict(type='RandomShear', prob=0.5, rate_range=(0.6, 1.3)),
    dict(type='RGB2Gray', out_channels=1, weights=(0.114, 0.587, 0.299)),
    dict(type='PackBUSInputs'),
]
train_pipeline = plain_train_pipeline[:2] + [
    dict(type='LoadCurriculumMasks', curriculum_dir=curriculum_dir)
] + plain_train_pipeline[2:]
test_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBUSAnnotations'),
    dict(type='RGB2Gray', out_channels=1, weights=(0.114, 0.587, 0.299)),
    dict(type='PackBUSInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split=split, split_part='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(split=split, split_part='test', pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(split=split, split_part='test', pipeline=test_pipeline))
