# Dataset B (UDIAT): <root>/original/<id>.png + <root>/GT/<id>.png
_base_ = ['./bus_common.py']
dataset_type = 'UDIATDataset'
data_root = 'data/DatasetB'
_ds = dict(type=dataset_type, data_root=data_root)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
