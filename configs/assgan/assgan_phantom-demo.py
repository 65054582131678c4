# CPU demo of ASSGAN on the built-in phantom data with 15% of the training
# images labeled: small ResNet-18 (base width 16) DeepLabV3+ and PSPNet
# generators at 128x128, 300 supervised + 300 semi-supervised iterations.
#   python tools/dataset_converters/make_phantoms.py data/phantom
#   python tools/train.py configs/assgan/assgan_phantom-demo.py
#   python tools/test.py configs/assgan/assgan_phantom-demo.py <ckpt> \
#       --predict-with generator_a generator_b mean
_base_ = [
    '../_base_/models/assgan_deeplabv3plus_pspnet.py',
    '../_base_/datasets/bus_phantom.py',
    '../_base_/default_runtime.py', '../_base_/schedules/assgan_iter.py'
]
# Fast path (docs/advanced_guides/fast_path.md): bf16 autocast where the CPU
# has native bf16 (AVX-512 BF16 / AMX) or AMP on CUDA, fp32 elsewhere; the
# layout by phase, precision and CPU. --no-amp / --amp force the precision.
amp = 'auto'
channels_last = 'auto'
crop_size = (128, 128)
split = dict(type='ratio', val=0.1, test=0.2, labeled=0.15, seed=0)
data_root = 'data/phantom'
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
_part = dict(type='BUSIDataset', data_root=data_root, split=split,
             pipeline=train_pipeline)
# Semi-supervised loader: every batch holds `num_labeled` labeled and
# (batch_size - num_labeled) unlabeled images of the same split.
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='LabeledUnlabeledSampler', batch_size=8, num_labeled=4),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(**_part, split_part='labeled'),
        dict(**_part, split_part='unlabeled'),
    ]))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(split=split, pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(split=split, pipeline=test_pipeline))

_r18 = dict(depth=18, base_channels=16, stem_channels=16)
# Dice + BCE on the lesion logit (instead of the paper's plain BCE) makes these
# small generators find the ~5% lesion pixels within a few hundred iterations.
_loss = dict(type='DiceBCELoss', loss_name='loss_dice_bce')
model = dict(
    generator_a=dict(
        backbone=_r18,
        decode_head=dict(in_channels=128, channels=32, c1_in_channels=16,
                         c1_channels=8, dilations=(1, 6, 12, 18),
                         loss_decode=_loss),
        auxiliary_head=dict(in_channels=64, channels=16)),
    generator_b=dict(
        backbone=_r18,
        decode_head=dict(in_channels=128, channels=32, loss_decode=_loss),
        auxiliary_head=dict(in_channels=64, channels=16)))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
max_iters = 600
semi_start = 300
train_cfg = dict(max_iters=max_iters, val_interval=150)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=150))
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='ASSGANHook', semi_start=semi_start, epoch_length=50),
]
