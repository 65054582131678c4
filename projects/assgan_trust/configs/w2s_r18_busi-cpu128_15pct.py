# Weak-to-strong without a gate: every pseudo-label weighs 1, the receiver
# learns it on a strong view (intensity, blur, speckle, CutMix).
_base_ = ['../../../configs/assgan/assgan_busi-cpu128-r18_15pct_2gen.py']
model = dict(semi_train_cfg=dict(
    strong_aug=dict(_delete_=True, type='StrongPerturbation')))
