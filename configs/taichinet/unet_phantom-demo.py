# Table I Model 1 (the single positive-path U-Net_p, 2.16M parameters) with
# exactly the data, schedule and seed of taichinet_phantom-demo.py, for the
# comparison: python tools/train.py configs/taichinet/unet_phantom-demo.py
_base_ = ['./taichinet_phantom-demo.py']
model = dict(ablation='model1')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
