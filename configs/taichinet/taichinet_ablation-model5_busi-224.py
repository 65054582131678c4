# Table I (BUSI ablations), Model 5: Model 3 + the complementary head with
# two MLPs (CHead), 17.27M.
# Same data, schedule and seed as taichinet_busi-224.py; no curriculum, so no
# curriculum masks are needed: python tools/train.py <this config>
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='model5')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
