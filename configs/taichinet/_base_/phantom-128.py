# Phantom data (tools/dataset_converters/make_phantoms.py data/phantom) for the CPU demos: the
# TaiChiNet augmentations at 128x128, batch 8, bus_common's ratio split
# (train 70% / val 10% / test 20%, stratified, seed 0), iteration-based.
_base_ = ['../../_base_/datasets/bus_phantom.py']
crop_size = (128, 128)
curriculum_dir = 'work_dirs/curriculum/phantom'
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
    batch_size=8, num_workers=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
