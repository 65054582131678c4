# A plain folder: <root>/images/<stem>.<ext> + <root>/masks/<stem><mask_suffix>.<ext>
# (SDBUI, SPDBUI or any private data set). Images without a mask can serve as
# unlabeled data with allow_missing_masks=True.
_base_ = ['./bus_common.py']
dataset_type = 'BUSFolderDataset'
data_root = 'data/bus_folder'
_ds = dict(type=dataset_type, data_root=data_root, mask_suffix='',
           allow_missing_masks=False)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
