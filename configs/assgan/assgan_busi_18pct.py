# ASSGAN on BUSI ("PDBUI" of Table 1): 647 lesion images, 100 labeled (18%) +
# 447 unlabeled for training, 50 val, 50 test; otherwise the headline
# settings (320x320, ResNet-101 generators, the default trust rule and D):
# 200 supervised epochs
# of 25 iterations (one pass over the 100 labeled images at 4 per batch), then
# 500 semi-supervised epochs of 112 iterations (one pass over the 447
# unlabeled images at 4 per batch: Algorithm 2's epoch).
_base_ = ['../assgan_sdbui_15pct.py']
data_root = 'data/BUSI'
split = dict(type='ratio', val=50, test=50, labeled=100, seed=0)
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
labeled_epoch = 25      # ceil(100 / 4)
unlabeled_epoch = 112   # ceil(447 / 4)
semi_start = 200 * labeled_epoch
train_cfg = dict(max_iters=semi_start + 500 * unlabeled_epoch,
                 val_interval=10 * unlabeled_epoch)
default_hooks = dict(checkpoint=dict(interval=10 * unlabeled_epoch))
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='ASSGANHook', semi_start=semi_start,
         epoch_length=unlabeled_epoch),
]
