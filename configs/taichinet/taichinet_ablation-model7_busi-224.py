# Table I (BUSI ablations), Model 7: Model 3 + CAtt + CHead, i.e. TaiChiNet
# without the easy-to-hard curriculum, 18.32M. (Table I's text calls it
# "Model 5 + CHead"; the parameter count shows the attention is in.)
# Same data, schedule and seed as taichinet_busi-224.py; no curriculum, so no
# curriculum masks are needed: python tools/train.py <this config>
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='model7')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
