# Built-in phantom data (tools/dataset_converters/make_phantoms.py) written in the BUSI layout, so
# it exercises the real BUSI loader. `make demo` generates it at data/phantom.
_base_ = ['./busi.py']
data_root = 'data/phantom'
_ds = dict(data_root=data_root)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
