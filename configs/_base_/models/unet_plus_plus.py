# U-Net++ with deep supervision (Zhou et al.): TaiChiNet's curriculum teacher.
# Levels 1-4 each get a 1x1 logit head trained with Dice+BCE (mean over the
# levels); tools/misc/prepare_curriculum.py thresholds level 1 (easy part E_p) and
# level 4 (hard part H_p) inside the ground truth (Eqs. 23-24).
# Same input convention as configs/_base_/models/taichinet.py (1-channel grey,
# [0, 1]).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0],
    std=[255.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='UNetPlusPlus',
    data_preprocessor=data_preprocessor,
    in_channels=1,
    channels=(32, 64, 128, 256, 512),
    num_convs=2,
    norm_cfg=dict(type='BN', requires_grad=True),
    act_cfg=dict(type='ReLU'),
    loss_decode=dict(type='DiceBCELoss'),
    train_cfg=dict(),
    # `predict` (tools/test.py) uses the finest level
    test_cfg=dict(mode='whole', threshold=0.5, level=4))
