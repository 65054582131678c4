# Binary PSPNet (ResNet-50-V1c), inherited from mmseg's own base config to show
# that any `mmseg::` config composes with bus_mm: only the class count, the
# sigmoid output, BN instead of SyncBN and "no download" are changed.
_base_ = ['mmseg::_base_/models/pspnet_r50-d8.py']
norm_cfg = dict(type='BN', requires_grad=True)
_bin = dict(num_classes=2, out_channels=1, threshold=0.5, norm_cfg=norm_cfg)
model = dict(
    data_preprocessor=dict(size_divisor=32),
    pretrained=None,
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(
        **_bin,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    auxiliary_head=dict(
        **_bin,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.4)))
