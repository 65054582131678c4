# Table I (BUSI ablations), Model 2: Model 1 + the negative (background) path
# U-Net_n, no interaction; the prediction averages both paths' lesion
# probabilities (17.27M; Table I: 17.28M).
# Same data, schedule and seed as taichinet_busi-224.py; no curriculum, so no
# curriculum masks are needed: python tools/train.py <this config>
_base_ = ['./taichinet_busi-224.py']
model = dict(ablation='model2')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
