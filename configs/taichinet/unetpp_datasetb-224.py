# U-Net++ teacher for taichinet_datasetb-224.py (Dataset B fold 0).
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_datasetb-224.py \
#       --out work_dirs/curriculum/datasetb_fold0
_base_ = [
    '../_base_/models/unet_plus_plus.py', './_base_/datasetb-224.py',
    '../_base_/default_runtime.py', '../_base_/schedules/taichinet_40e.py'
]
log_processor = dict(by_epoch=True)
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
