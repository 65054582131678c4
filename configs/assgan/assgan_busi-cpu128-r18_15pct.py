# assgan_busi-cpu128_15pct.py with FULL-WIDTH ResNet-18 generators (the
# networks of stock mmseg's DeepLabV3+ R18 baseline, see
# ../_base_/models/assgan_r18_full-width.py). Same data, 128x128, batch 4
# labeled + 4 unlabeled, 400 + 400 iterations, AgreementGate gamma 0.5.
# Issue 11's "baseline nobody can call weak" rows (meant for a GPU: ~67 min
# per supervised fold on a 2-core CPU):
#   python tools/cross_val.py configs/assgan/assgan_busi-cpu128-r18_15pct{,_sup,_2gen,_paper-gate}.py \
#       --num-folds 3 --data-root data/BUSI
# and the stock reference on the same folds and labeled images:
#   python tools/cross_val.py configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py \
#       --num-folds 3 --data-root data/BUSI
_base_ = ['./assgan_busi-cpu128_15pct.py',
          '../_base_/models/assgan_r18_full-width.py']
model = {{_base_.r18_full_width}}
