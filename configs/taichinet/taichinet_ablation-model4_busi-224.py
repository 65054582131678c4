# Table I (BUSI ablations), Model 4: Model 2 + C2-attention between the
# bottlenecks (CAtt), 18.32M (Table I: 18.33M).
# Same data, schedule and seed as taichinet_busi-224.py; no curriculum, so no
# curriculum masks are needed: python tools/train.py <this config>
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='model4')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
