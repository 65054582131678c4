# ASSGAN on a BUSI folder (benign + malignant), short CPU variant measured on
# busi-dev: the phantom demo's small generators (ResNet-18 with base width 16
# DeepLabV3+ and PSPNet, Dice+BCE) at 128x128, batch 4 labeled + 4 unlabeled,
# 400 supervised + 400 semi-supervised iterations (Adam 1e-3), the default
# trust rule and D (configs/assgan/README.md; the paper's D gate:
# *_paper-gate.py; D as the judge: *_d-gate.py). 15% of each fold's training
# part is labeled; 10% of the non-test images validate.
#   python tools/cross_val.py configs/assgan/assgan_busi-cpu128_15pct.py \
#       --num-folds 3 --data-root data/BUSI
# One run of fold 0 of 5 without cross_val.py:
#   python tools/train.py configs/assgan/assgan_busi-cpu128_15pct.py --data-root data/BUSI
# The paper-size configuration is assgan_busi-320_15pct.py.
_base_ = ['./assgan_phantom-demo.py']
data_root = 'data/BUSI'
split = dict(type='kfold', num_folds=5, fold=0, val=0.1, labeled=0.15, seed=0)
_part = dict(type='BUSIDataset', data_root=data_root, split=split,
             include_normal=False, pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=dict(datasets=[
    dict(**_part, split_part='labeled'),
    dict(**_part, split_part='unlabeled'),
]))
_eval = dict(type='BUSIDataset', data_root=data_root, split=split,
             include_normal=False, pipeline={{_base_.test_pipeline}},
             _delete_=True)
val_dataloader = dict(dataset=dict(**_eval, split_part='val'))
test_dataloader = dict(dataset=dict(**_eval, split_part='test'))
max_iters = 800
semi_start = 400
# an "epoch" of the accepted-pseudo-label count: ~one pass over the ~90
# unlabeled images of a busi-dev fold at 4 per batch
epoch_length = 25
train_cfg = dict(max_iters=max_iters, val_interval=100)
default_hooks = dict(logger=dict(interval=25), checkpoint=dict(interval=100))
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='ASSGANHook', semi_start=semi_start, epoch_length=epoch_length),
]
