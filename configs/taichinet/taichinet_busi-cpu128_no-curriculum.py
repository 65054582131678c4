# TaiChiNet without the easy-to-hard curriculum (Table I Model 7) on the data
# and schedule of taichinet_busi-cpu128.py; no curriculum masks are needed.
# Table I's other models on the same footing:
#   python tools/cross_val.py configs/taichinet/taichinet_busi-cpu128_no-curriculum.py \
#       --num-folds 3 --folds 0 --data-root data/BUSI \
#       --cfg-options model.ablation=model3 --work-dir work_dirs/cv/busi-cpu128_model3
_base_ = ['./taichinet_busi-cpu128.py']
model = dict(ablation='model7')
train_pipeline = {{_base_.plain_train_pipeline}}
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = {{_base_.plain_custom_hooks}}
