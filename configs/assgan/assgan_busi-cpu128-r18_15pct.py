# assgan_busi-cpu128_15pct.py with FULL-WIDTH ResNet-18 generators (base and
# stem width 64, mmseg's R18 head sizes: DeepLabV3+ 512 -> 128 channels with a
# 64 -> 12 low-level branch, PSPNet 512 -> 128, auxiliary FCN 256 -> 64), the
# networks of stock mmseg's DeepLabV3+ R18 baseline
# (configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py). Same data,
# 128x128, batch 4 labeled + 4 unlabeled, 400 + 400 iterations, AgreementGate
# gamma 0.5. Issue 11's "baseline nobody can call weak" rows:
#   python tools/cross_val.py configs/assgan/assgan_busi-cpu128-r18_15pct{,_sup,_2gen,_paper-gate}.py \
#       --num-folds 3 --data-root data/BUSI
# and the stock reference on the same folds and labeled images:
#   python tools/cross_val.py configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py \
#       --num-folds 3 --data-root data/BUSI
_base_ = ['./assgan_busi-cpu128_15pct.py']
_r18 = dict(depth=18, base_channels=64, stem_channels=64)
model = dict(
    generator_a=dict(
        backbone=_r18,
        decode_head=dict(in_channels=512, channels=128, c1_in_channels=64,
                         c1_channels=12),
        auxiliary_head=dict(in_channels=256, channels=64)),
    generator_b=dict(
        backbone=_r18,
        decode_head=dict(in_channels=512, channels=128),
        auxiliary_head=dict(in_channels=256, channels=64)))
