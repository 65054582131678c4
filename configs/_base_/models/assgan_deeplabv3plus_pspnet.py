# ASSGAN (Zhai et al. 2022): generator A = binary DeepLabV3+, generator B =
# binary PSPNet, Hung et al.'s PatchGAN D as a shape prior (L_adv 0.01 from
# the semi-supervised phase on) and the generators' agreement as the trust
# gate (below).
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
    # Hung et al.'s PatchGAN D (base width 32: 4x4 stride-2 convs, LeakyReLU
    # 0.2) sees the image beside the thresholded mask, real = ground truth.
    discriminator=dict(type='PatchDiscriminator', in_channels=4,
                       base_channels=32),
    # Trust gate: each unlabeled prediction weighs by the rank of its
    # agreement (IoU of the two generators' hard masks on the same image)
    # among the recent ones; the lowest gamma = 20% are rejected. D does not
    # judge (as a judge it cost 1.5 IoU points at full width): it is a shape
    # prior through L_adv.
    gate=dict(type='AgreementGate', gamma=0.2, weighting='rank'),
    semi_train_cfg=dict(
        lambda_semi=1.0,
        lambda_adv=0.01,       # D as a shape prior (Hung et al.'s weight)
        adv_warmup=True,       # L_adv from the semi phase on; D learns beside
        adv_on_unlabeled=True,  # the generators, labeled and unlabeled fakes
        train_d_in_semi=True,
        d_input=dict(binarize=True, with_image=True),
        # the receiver learns the pseudo-label on the teacher's own view;
        # dict(type='StrongPerturbation') gives it a strong view instead
        # (it cost 4.6 IoU points at full width, configs/assgan/README.md)
        strong_aug=None),
    test_cfg=dict(predict_with='generator_a', mode='whole'))
