# Full-width ResNet-18 generators for the ASSGAN configs: base and stem width
# 64 and mmseg's own R18 head sizes (DeepLabV3+ 512 -> 128 channels with a
# 64 -> 12 low-level branch, PSPNet 512 -> 128, auxiliary FCN 256 -> 64), the
# networks of configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py.
# A config inherits it next to its width-16 twin and sets
#   model = {{_base_.r18_full_width}}
_r18_full = dict(depth=18, base_channels=64, stem_channels=64)
r18_full_width = dict(
    generator_a=dict(
        backbone=_r18_full,
        decode_head=dict(in_channels=512, channels=128, c1_in_channels=64,
                         c1_channels=12),
        auxiliary_head=dict(in_channels=256, channels=64)),
    generator_b=dict(
        backbone=_r18_full,
        decode_head=dict(in_channels=512, channels=128),
        auxiliary_head=dict(in_channels=256, channels=64)))
