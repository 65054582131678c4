# U-Net++ teacher for taichinet_busi-with-normal-224.py (all 780 BUSI images).
#   python tools/misc/prepare_curriculum.py \
#       configs/taichinet/unetpp_busi-with-normal-224.py \
#       --out work_dirs/curriculum/busi-with-normal_fold0
_base_ = ['./unetpp_busi-224.py']
include_normal = True
train_dataloader = dict(dataset=dict(include_normal=include_normal))
val_dataloader = dict(dataset=dict(include_normal=include_normal))
test_dataloader = dict(dataset=dict(include_normal=include_normal))
