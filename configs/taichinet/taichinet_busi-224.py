# TaiChiNet on BUSI (Table I last row), Sec. V-B settings: 224x224 grey input
# in [0, 1], Adam 1e-4, 40 epochs, batch 16, rotations/gamma/shear, five-fold
# cross-validation (this file: fold 0; data in ./_base_/busi-224.py).
#
# 1. Mine the curriculum masks E_p/H_p once for this fold with the U-Net++
#    teacher (without --checkpoint it first trains the teacher into
#    work_dirs/curriculum/busi_fold0/unetpp):
#      python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py \
#          --out work_dirs/curriculum/busi_fold0
# 2. python tools/train.py configs/taichinet/taichinet_busi-224.py
# 3. python tools/test.py configs/taichinet/taichinet_busi-224.py \
#        work_dirs/taichinet_busi-224/best_IoU_epoch_<n>.pth
# Folds k = 1..4: in both steps pass the fold to the three loaders,
#   --cfg-options train_dataloader.dataset.split.fold=k \
#     val_dataloader.dataset.split.fold=k test_dataloader.dataset.split.fold=k
# with --out work_dirs/curriculum/busi_foldk for step 1, and for step 2
# additionally train_dataloader.dataset.pipeline.2.curriculum_dir=work_dirs/curriculum/busi_foldk
# (pipeline index 2 is LoadCurriculumMasks) and --work-dir work_dirs/taichinet_busi-224_foldk.
#
# Epoch-based: the BUS datasets are finite map-style mmseg datasets, so
# mmengine's EpochBasedTrainLoop with a DefaultSampler trains exactly the
# paper's 40 epochs (ceil(#train / 16) iterations each, 33 on a BUSI fold of
# 518 images) and CurriculumHook switches from the easy stage (E_p) to the
# hard stage (H_p + complementary loss) at epoch 20 (max_epochs // 2).
_base_ = [
    '../_base_/models/taichinet.py', './_base_/busi-224.py',
    '../_base_/default_runtime.py', '../_base_/schedules/taichinet_40e.py'
]
log_processor = dict(by_epoch=True)
# Hooks of the runs without curriculum (Table I Models 1-7).
plain_custom_hooks = [dict(type='SplitRecorderHook')]
custom_hooks = [dict(type='SplitRecorderHook'), dict(type='CurriculumHook')]
