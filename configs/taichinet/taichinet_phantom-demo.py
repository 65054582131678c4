# Tiny CPU demo of TaiChiNet with the easy-to-hard curriculum on phantom data:
# sub-U-Nets with 16-32-64-128-256 channels (4.58M parameters), 128x128,
# batch 8, Adam 1e-3, 300 iterations, stage switch at iteration 150.
#   python tools/dataset_converters/make_phantoms.py data/phantom
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_phantom-demo.py \
#       --out work_dirs/curriculum/phantom --device cpu
#   python tools/train.py configs/taichinet/taichinet_phantom-demo.py
# Compare with the single U-Net (Table I Model 1) on the same schedule:
#   python tools/train.py configs/taichinet/unet_phantom-demo.py
_base_ = [
    '../_base_/models/taichinet.py', './_base_/phantom-128.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adam_iter.py'
]
model = dict(backbone=dict(base_channels=16))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=100))
plain_custom_hooks = [dict(type='SplitRecorderHook')]
# switch at max_iters // 2 (iteration-based loop)
custom_hooks = [dict(type='SplitRecorderHook'), dict(type='CurriculumHook')]
