# Pipelines, loaders and metric shared by every BUS dataset config. The
# dataset-specific bases (busi.py, udiat.py, bus_folder.py, bus_phantom.py)
# set the dataset type and root.
dataset_type = 'BUSFolderDataset'
data_root = 'data/bus_folder'
crop_size = (256, 256)
# Split spec: ratios (floats) or counts (ints), made deterministically from the
# seed and stratified by class; written to <work_dir>/split.json. Replace the
# dict by a split JSON path to reuse a split.
split = dict(type='ratio', val=0.1, test=0.2, labeled=None, seed=0)
train_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='LoadBUSAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackBUSInputs'),
]
# Masks are loaded after Resize so metrics use the original resolution.
test_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBUSAnnotations'),
    dict(type='PackBUSInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split=split,
        split_part='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split=split,
        split_part='val',
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split=split,
        split_part='test',
        pipeline=test_pipeline))
val_evaluator = dict(type='BUSMetric')
test_evaluator = val_evaluator
