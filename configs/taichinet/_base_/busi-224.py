# BUSI data of the TaiChiNet configs (Sec. V-B): benign + malignant (647
# images; include_normal=True adds the 133 normal ones), 224x224, batch 16,
# rotations 90/180/270 and +-10 deg, gamma in [0.5, 1.5], shear "rate" in
# [0.6, 1.3], five-fold cross-validation (fold 0 here), grey 1-channel input.
_base_ = ['../../_base_/datasets/busi.py']
crop_size = (224, 224)
# 5-fold CV, stratified by class, seed 0. val=0: the held-out fold is used for
# validation during training (split_part='test') and by tools/test.py, as in
# the paper's cross-validation. The split is written to <work_dir>/split.json.
split = dict(_delete_=True, type='kfold', num_folds=5, fold=0, seed=0)
# Made by tools/misc/prepare_curriculum.py from the U-Net++ teacher of the same fold
# (configs/taichinet/unetpp_busi-224.py).
curriculum_dir = 'work_dirs/curriculum/busi_fold0'
# Without curriculum masks: Table I Models 1-7 and the U-Net++ teacher.
plain_train_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='LoadBUSAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomRot90', prob=0.5, angles=(90, 180, 270)),
    # masks padded with background (0), not the ignore index
    dict(type='RandomRotate', prob=0.5, degree=10, pad_val=0, seg_pad_val=0),
    dict(type='RandomGamma', prob=0.5, gamma_range=(0.5, 1.5)),
    # rate r read as the shear magnitude r - 1 in [-0.4, 0.3] (see RandomShear)
    dict(type='RandomShear', prob=0.5, rate_range=(0.6, 1.3)),
    # grey 1-channel input; weights in BGR order (LoadBUSImageFromFile)
    dict(type='RGB2Gray', out_channels=1, weights=(0.114, 0.587, 0.299)),
    dict(type='PackBUSInputs'),
]
# TaiChiNet: E_p/H_p are loaded at the original size right after the ground
# truth (index 2), so every geometric transform moves them with gt_seg_map.
train_pipeline = plain_train_pipeline[:2] + [
    dict(type='LoadCurriculumMasks', curriculum_dir=curriculum_dir)
] + plain_train_pipeline[2:]
# Ground truth loaded after Resize: metrics at the original image size.
test_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBUSAnnotations'),
    dict(type='RGB2Gray', out_channels=1, weights=(0.114, 0.587, 0.299)),
    dict(type='PackBUSInputs'),
]
# Epoch-based training (schedules/taichinet_40e.py): a finite DefaultSampler
# instead of bus_common's InfiniteSampler.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split=split, split_part='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(split=split, split_part='test', pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(split=split, split_part='test', pipeline=test_pipeline))
