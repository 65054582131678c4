# ASSGAN (Zhai et al. 2022): generator A = binary DeepLabV3+, generator B =
# binary PSPNet; no discriminator by default (the trust gate compares the
# two generators; configs that use Hung et al.'s PatchGAN D add it).
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
    # Trust gate (bus_mm.models.gates): AgreementGate. An unlabeled
    # prediction is judged by its agreement (IoU of the hard masks) with the
    # other generator's prediction on the same image; the least-agreeing
    # gamma = 50% of recent predictions are rejected (about half pass, as in
    # the paper's Table 2). On busi-dev its score tracked the true IoU of the
    # pseudo-labels with Spearman rho 0.68-0.75, where every discriminator we
    # trained reached 0.1-0.4 (README, "ASSGAN's trust gate", round 5), so
    # the default has no D (no L_adv, no D step). The paper's D is one config
    # away: `*_paper-gate.py` (soft maps, L_adv, D trained through
    # Algorithm 2, labeled fakes only) and `*_d-gate.py` (round 4's default:
    # D judges the thresholded mask, QuantileGate gamma 0.2, lambda_adv 0).
    discriminator=None,
    gate=dict(type='AgreementGate'),   # bank_size=128 recent scores
    gamma=0.5,          # share of recent unlabeled predictions rejected
    adv_on_unlabeled=True,   # Eq. 2/3: unlabeled predictions are fakes too
    train_d_in_semi=False,   # Algorithm 2 (line 15) updates G_1, G_2 only
    lambda_adv=0.0,
    lambda_semi=1.0,
    test_cfg=dict(predict_with='generator_a', mode='whole'))
