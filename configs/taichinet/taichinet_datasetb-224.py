# TaiChiNet on Dataset B (UDIAT, 163 images; Table VI) with the BUSI settings:
# 224x224, Adam 1e-4, 40 epochs, batch 16, five-fold CV (fold 0 here).
#   python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_datasetb-224.py \
#       --out work_dirs/curriculum/datasetb_fold0
#   python tools/train.py configs/taichinet/taichinet_datasetb-224.py
# Other folds: as in taichinet_busi-224.py.
_base_ = [
    '../_base_/models/taichinet.py', './_base_/datasetb-224.py',
    '../_base_/default_runtime.py', '../_base_/schedules/taichinet_40e.py'
]
log_processor = dict(by_epoch=True)
custom_hooks = [dict(type='SplitRecorderHook'), dict(type='CurriculumHook')]
