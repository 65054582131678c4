# TaiChiNet on all 780 BUSI images, normal (lesion-free) ones included
# (Table IV, second part). Its own teacher and curriculum dir, because the
# folds and the training set differ from the benign+malignant setting:
#   python tools/misc/prepare_curriculum.py \
#       configs/taichinet/unetpp_busi-with-normal-224.py \
#       --out work_dirs/curriculum/busi-with-normal_fold0
#   python tools/train.py configs/taichinet/taichinet_busi-with-normal-224.py
# Normal images get empty E_p/H_p; their easy/hard loss terms then only push
# the lesion path towards background (set model.ignore_empty_parts=True to
# skip them).
_base_ = ['./taichinet_busi-224.py']
curriculum_dir = 'work_dirs/curriculum/busi-with-normal_fold0'
train_pipeline = [
    dict(type='LoadBUSImageFromFile'),
    dict(type='LoadBUSAnnotations'),
    dict(type='LoadCurriculumMasks', curriculum_dir=curriculum_dir),
    dict(type='Resize', scale={{_base_.crop_size}}, keep_ratio=False),
    dict(type='RandomRot90', prob=0.5, angles=(90, 180, 270)),
    dict(type='RandomRotate', prob=0.5, degree=10, pad_val=0, seg_pad_val=0),
    dict(type='RandomGamma', prob=0.5, gamma_range=(0.5, 1.5)),
    dict(type='RandomShear', prob=0.5, rate_range=(0.6, 1.3)),
    dict(type='RGB2Gray', out_channels=1, weights=(0.114, 0.587, 0.299)),
    dict(type='PackBUSInputs'),
]
include_normal = True
train_dataloader = dict(
    dataset=dict(include_normal=include_normal, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(include_normal=include_normal))
test_dataloader = dict(dataset=dict(include_normal=include_normal))
