# Supervised ceiling: DeepLabV3+ and PSPNet of assgan_busi-cpu128_15pct_sup.py
# trained on 100% of each fold's training images (batch 4, as the labeled
# half of the semi-supervised batches), same folds and schedule.
_base_ = ['./assgan_busi-cpu128_15pct_sup.py']
split = dict(type='kfold', num_folds=5, fold=0, val=0.1, labeled=None, seed=0)
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='BUSIDataset', data_root={{_base_.data_root}},
                 split=split, split_part='train', include_normal=False,
                 pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(split=split))
test_dataloader = dict(dataset=dict(split=split))
