# Tiny CPU demo: a small binary U-Net trained on the built-in phantom data.
# python tools/dataset_converters/make_phantoms.py data/phantom && python tools/train.py configs/demo/unet_phantom-demo.py
_base_ = [
    '../_base_/models/unet-bin.py', '../_base_/datasets/bus_phantom.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adam_iter.py'
]
crop_size = (128, 128)
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
model = dict(
    backbone=dict(base_channels=16, num_stages=4, strides=(1, 1, 1, 1),
                  enc_num_convs=(2, 2, 2, 2), dec_num_convs=(2, 2, 2),
                  downsamples=(True, True, True), enc_dilations=(1, 1, 1, 1),
                  dec_dilations=(1, 1, 1)),
    decode_head=dict(in_channels=16, channels=16, in_index=3))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_iters=600, val_interval=200)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=200))
