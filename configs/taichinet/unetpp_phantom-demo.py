# U-Net++ teacher of taichinet_phantom-demo.py: levels 8-16-32-64-128 (0.57M
# parameters; the nested full-resolution nodes make 16-base 2.7x slower on a
# CPU), same data and schedule. Trains it and mines E_p/H_p in one go:
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_phantom-demo.py \
#       --out work_dirs/curriculum/phantom --device cpu
_base_ = [
    '../_base_/models/unet_plus_plus.py', './_base_/phantom-128.py',
    '../_base_/default_runtime.py', '../_base_/schedules/adam_iter.py'
]
model = dict(channels=(8, 16, 32, 64, 128))
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=100))
