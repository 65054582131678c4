# Binary U-Net (mmseg's UNet backbone, 5 stages 32-64-128-256-512 as the
# TaiChiNet sub-network, FCN head with one sigmoid lesion logit).
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0, 0.0, 0.0],
    std=[255.0, 255.0, 255.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='UNet',
        in_channels=3,
        base_channels=32,
        num_stages=5,
        strides=(1, 1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2),
        downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1),
        dec_dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        upsample_cfg=dict(type='InterpConv'),
        norm_eval=False),
    decode_head=dict(
        type='FCNHead',
        in_channels=32,
        in_index=4,
        channels=32,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.0,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        norm_cfg=norm_cfg,
        align_corners=False,
        # Dice (squared denominators) + BCE on the lesion logit, TaiChiNet's
        # L_S. Note: mmseg 1.2.2's DiceLoss one-hot-encodes a 1-channel output
        # as the *background* class, so it must not be used with out_channels=1.
        loss_decode=dict(type='DiceBCELoss', loss_name='loss_dice_bce')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
