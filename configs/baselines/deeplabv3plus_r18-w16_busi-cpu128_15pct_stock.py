# The stock mmseg recipe (2-class softmax cross-entropy, AdamW + poly) on
# exactly bus_mm's cpu128 generator A (ResNet-18 with base width 16 and the
# same head sizes): it isolates the training recipe from the model size.
# Same folds, labeled images, 128x128, batch 4 and 800 iterations as
# assgan_busi-cpu128_15pct_sup.py.
_base_ = ['./deeplabv3plus_r18_busi-cpu128_15pct_stock.py']
model = dict(
    backbone=dict(base_channels=16, stem_channels=16),
    decode_head=dict(in_channels=128, channels=32, c1_in_channels=16,
                     c1_channels=8, dilations=(1, 6, 12, 18)),
    auxiliary_head=dict(in_channels=64, channels=16))
