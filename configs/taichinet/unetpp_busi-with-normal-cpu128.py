# U-Net++ teacher of taichinet_busi-with-normal-cpu128.py: unetpp_busi-cpu128.py
# trained with BUSI's normal images too (they get empty E_p/H_p).
_base_ = ['./unetpp_busi-cpu128.py']
include_normal = True
train_dataloader = dict(dataset=dict(include_normal=include_normal))
val_dataloader = dict(dataset=dict(include_normal=include_normal))
test_dataloader = dict(dataset=dict(include_normal=include_normal))
