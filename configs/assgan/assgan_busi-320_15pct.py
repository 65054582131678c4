# ASSGAN on a BUSI folder at the paper's size (GPU): 320x320, ResNet-101
# DeepLabV3+ and PSPNet (no pretrained weights are downloaded; set
# model.generator_{a,b}.backbone.init_cfg for ImageNet weights you have),
# the default trust rule (the generators' agreement rank, D as a shape
# prior; configs/assgan/README.md), Adam 1e-4, batch 4 labeled + 4 unlabeled, 15%
# of each fold's training part labeled, 10% of the non-test images for
# validation,
# 200 supervised epochs of 18 iterations (one pass over the ~70 labeled images
# of a 5-fold BUSI training part) + 500 semi-supervised epochs of 99
# iterations (one pass over its ~396 unlabeled images: Algorithm 2's epoch).
#   python tools/cross_val.py configs/assgan/assgan_busi-320_15pct.py --amp
# Not measured yet (a GPU job); the 128 px CPU configs have the figures in
# configs/assgan/README.md.
_base_ = ['./assgan_busi_18pct.py']
split = dict(type='kfold', num_folds=5, fold=0, val=0.1, labeled=0.15, seed=0)
_part = dict(type='BUSIDataset', data_root={{_base_.data_root}}, split=split,
             include_normal=False, pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=dict(datasets=[
    dict(**_part, split_part='labeled'),
    dict(**_part, split_part='unlabeled'),
]))
# _delete_: the base's ratio split (its val/test counts) must not merge into
# the k-fold one
val_dataloader = dict(dataset=dict(split=dict(_delete_=True, **split)))
test_dataloader = dict(dataset=dict(split=dict(_delete_=True, **split)))
labeled_epoch = 18      # ceil(~70 / 4)
unlabeled_epoch = 99    # ceil(~396 / 4)
semi_start = 200 * labeled_epoch
train_cfg = dict(max_iters=semi_start + 500 * unlabeled_epoch,
                 val_interval=10 * unlabeled_epoch)
default_hooks = dict(checkpoint=dict(interval=10 * unlabeled_epoch))
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='ASSGANHook', semi_start=semi_start,
         epoch_length=unlabeled_epoch),
]
