# taichinet_busi-cpu128.py with BUSI's normal (lesion-free) images included in
# training, validation and test (TaiChiNet Table IV, second part). Normal
# images get empty E_p/H_p; with part_target='masked' their part terms only
# push the lesion path towards background, as their ground truth does.
# The test metrics add, over the normal test images, how many are predicted
# clean and the false-positive pixels per normal image (BUSMetric normal_*),
# and the Dice/IoU over the lesion images only (lesion_*). Per fold, its own
# teacher (trained with the normal images too):
#   python tools/cross_val.py configs/taichinet/taichinet_busi-with-normal-cpu128.py \
#       --curriculum-teacher configs/taichinet/unetpp_busi-with-normal-cpu128.py \
#       --num-folds 5 --data-root data/BUSI
_base_ = ['./taichinet_busi-cpu128.py']
include_normal = True
# its own curriculum dir (cross_val.py points it at each fold's masks)
curriculum_dir = 'work_dirs/curriculum/busi-with-normal-cpu128_fold0'
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
train_dataloader = dict(
    dataset=dict(include_normal=include_normal, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(include_normal=include_normal))
test_dataloader = dict(dataset=dict(include_normal=include_normal))
