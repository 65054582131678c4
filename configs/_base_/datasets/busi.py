# BUSI in its original layout: <root>/{benign,malignant,normal}/<class> (<n>).png
# + <class> (<n>)_mask.png (+ _mask_1.png ... for extra lesions).
# Put (or symlink) BUSI at data/BUSI, or override the root on the command line:
#   --cfg-options train_dataloader.dataset.data_root=/path/BUSI \
#     val_dataloader.dataset.data_root=/path/BUSI test_dataloader.dataset.data_root=/path/BUSI
# include_normal=False drops the 133 lesion-free images, as most papers do
# (TaiChiNet Table IV reports both settings).
_base_ = ['./bus_common.py']
dataset_type = 'BUSIDataset'
data_root = 'data/BUSI'
include_normal = False
_ds = dict(type=dataset_type, data_root=data_root, include_normal=include_normal)
train_dataloader = dict(dataset=_ds)
val_dataloader = dict(dataset=_ds)
test_dataloader = dict(dataset=_ds)
