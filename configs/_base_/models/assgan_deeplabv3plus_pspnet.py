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
    # itself, so real and fake masks share one value range, and gamma is a
    # share (an adaptive gamma): the lowest-scored 20% of D's recent scores
    # on unlabeled predictions are rejected (D detects failed masks, not
    # fine quality: README, ASSGAN gate study). D is a judge only: it learns
    # ground truth vs predictions in Algorithm 1 (Eq. 3) but the generators
    # get no L_adv (lambda_adv=0); in a paired 3-fold busi-dev study this
    # beat "2 generators" on every fold, L_adv-trained runs did not. The
    # paper-literal gate (soft maps, L_adv, D trained through Algorithm 2,
    # labeled fakes only) is `*_paper-gate.py`; the previous default is
    # gate=dict(type='MaskQualityGate'), gamma=0.5, lambda_adv=0.01.
    gate=dict(type='QuantileGate'),   # bank_size=128 recent scores
    gamma=0.2,          # share of recent unlabeled predictions rejected
    adv_on_unlabeled=True,   # Eq. 2/3: unlabeled predictions are fakes too
    train_d_in_semi=False,   # Algorithm 2 (line 15) updates G_1, G_2 only
    lambda_adv=0.0,
    lambda_semi=1.0,
    test_cfg=dict(predict_with='generator_a', mode='whole'))
