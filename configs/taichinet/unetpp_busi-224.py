# U-Net++ with deep supervision on BUSI fold 0: TaiChiNet's curriculum teacher
# (Sec. IV-C, "one-shot preparation"), same data, augmentation and schedule as
# taichinet_busi-224.py. Usually run through
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py \
#       --out work_dirs/curriculum/busi_fold0
# which trains it (into <out>/unetpp) and writes E_p/H_p of every training
# image; with a trained checkpoint add --checkpoint <ckpt>. It is also a Table
# V/VI comparison model on its own (tools/test.py evaluates level 4).
_base_ = [
    '../_base_/models/unet_plus_plus.py', './_base_/busi-224.py',
    '../_base_/default_runtime.py', '../_base_/schedules/taichinet_40e.py'
]
log_processor = dict(by_epoch=True)
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
