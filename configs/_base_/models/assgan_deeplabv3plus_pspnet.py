# ASSGAN (Zhai et al. 2022): generator A = binary DeepLabV3+, generator B =
# binary PSPNet, discriminator = Hung et al.'s fully convolutional PatchGAN.
# Any mmseg segmentor config can replace a generator (e.g. inherit an
# `mmseg::` config and pass its `model` here); it must be binary
# (num_classes=2, out_channels 1 or 2).
_base_ = ['./deeplabv3plus_r50-bin.py']
norm_cfg = dict(type='BN', requires_grad=True)
pspnet = dict(
    type='EncoderDecoder',
    pretrained=None,
    backbone={{_base_.model.backbone}},  # the same ResNet-50-V1c as G_a
    decode_head=dict(
        type='PSPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
model = dict(
    _delete_=True,
    type='ASSGAN',
    data_preprocessor={{_base_.data_preprocessor}},
    generator_a={{_base_.model}},
    generator_b=pspnet,
    discriminator=dict(type='PatchDiscriminator', in_channels=1,
                       base_channels=64),
    # Trust gate (bus_mm.models.gates): D judges the thresholded pseudo-label
    # itself (straight-through gradient for L_adv), so real and fake masks
    # share one value range. The paper-literal gate (soft maps, D trained
    # through Algorithm 2, labeled fakes only) is `*_paper-gate.py`.
    gate=dict(type='MaskQualityGate'),
    gamma=0.5,          # trust threshold of the discriminator score
    adv_on_unlabeled=True,   # Eq. 2/3: unlabeled predictions are fakes too
    train_d_in_semi=False,   # Algorithm 2 (line 15) updates G_1, G_2 only
    lambda_adv=0.01,
    lambda_semi=1.0,
    test_cfg=dict(predict_with='generator_a', mode='whole'))
