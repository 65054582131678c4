# TaiChiNet (Wang et al., IEEE TMI): two sub-U-Nets (negative background path, positive
# lesion path) with C2-attention at the bottleneck, the complementary head
# (Fig. 10(c)), Dice+BCE on both paths, the complementary loss and the
# easy-to-hard curriculum (Sec. IV-C). Table I-III rows are `ablation=` presets
# (bus_mm.models.segmentors.taichinet.TAICHINET_ABLATIONS).
#
# Input: 1-channel grey ultrasound (the pipelines end with mmseg's RGB2Gray
# out_channels=1) scaled to [0, 1] (mean 0, std 255), as in Sec. V-B.
# Full model: 18,317,412 parameters (Table I: 18.33M, -0.07%); see
# `python tools/analysis_tools/count_params.py configs/taichinet/taichinet_ablation-model*_busi-224.py`.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[0.0],
    std=[255.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32)
model = dict(
    type='TaiChiNet',
    data_preprocessor=data_preprocessor,
    ablation='taichinet',
    # Fig. 3's sub-U-Net as mmseg's UNet: 5 levels 32-64-128-256-512, two
    # 3x3 conv-BN-ReLU per block, 2x2 max-pool, bilinear x2 + 3x3 conv
    # up-sampling (8.63M per path with the 1x1 logit conv).
    backbone=dict(
        type='UNet',
        in_channels=1,
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
        upsample_cfg=dict(type='InterpConv', kernel_size=3, padding=1),
        norm_eval=False),
    # in_channels defaults to the bottleneck width (512)
    neck=dict(type='C2Attention'),
    # variant/complement follow the model's head_variant/mutual switches
    comp_head=dict(type='ComplementaryHead'),
    loss_seg=dict(type='DiceBCELoss'),
    loss_comp=dict(type='ComplementaryLoss'),
    easy_weight=1.0,
    hard_weight=1.0,
    # 'masked': the curriculum part term ignores GT-lesion pixels outside
    # E_p / H_p, so it never contradicts L_S(O_p, G_p); 'literal': Eqs. 21-22
    # as printed (those pixels are background in the part term).
    part_target='masked',
    train_cfg=dict(),
    test_cfg=dict(mode='whole', threshold=0.5))
