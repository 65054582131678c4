# Table I (BUSI ablations), Model 1: the positive (lesion) path alone, a
# single U-Net_p trained with Dice+BCE against G_p (8.63M parameters; Table
# I: 8.64M).
# Same data, schedule and seed as taichinet_busi-224.py; no curriculum, so no
# curriculum masks are needed: python tools/train.py <this config>
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='model1')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
