# UniMatch (Yang et al., CVPR 2023) on a BUSI folder, the CPU protocol of
# configs/assgan/assgan_busi-cpu128-r18_15pct.py: the same data (5 folds,
# 15% of each fold's training part labeled, 10% of the non-test images
# validate), 128x128, batch 4 labeled + 4 unlabeled, Adam 1e-3, 400
# supervised + 400 semi-supervised iterations with the same hook, and its
# generator A as the student: the full-width ResNet-18 DeepLabV3+ with an FCN
# auxiliary head (stock mmseg's R18 networks, Dice+BCE). Semi phase: tau 0.95,
# two StrongPerturbation views, Dropout2d(0.5) feature stream,
# (L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2.
#   python tools/cross_val.py configs/unimatch/unimatch_busi-cpu128-r18_15pct.py \
#       --num-folds 3 --data-root data/BUSI --checkpoint last --amp auto
# One run of fold 0 of 5:
#   python tools/train.py configs/unimatch/unimatch_busi-cpu128-r18_15pct.py --data-root data/BUSI
# Branching from ASSGAN's supervised phase (its generator_a.* weights at
# iteration 400 as the student, semi phase from iteration 0): see the recipe
# in configs/unimatch/README.md.
_base_ = ['../assgan/assgan_busi-cpu128-r18_15pct.py']
model = dict(
    _delete_=True,
    type='UniMatch',
    data_preprocessor={{_base_.model.data_preprocessor}},
    segmentor={{_base_.model.generator_a}},
    semi_train_cfg=dict(
        threshold=0.95,
        strong_aug=dict(type='StrongPerturbation', cutmix_prob=0.5),
        fp_dropout=0.5,
        lambda_u=1.0,
        weights=dict(s1=0.25, s2=0.25, fp=0.5)),
    test_cfg=dict(mode='whole'))
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999)),
    segmentor=dict())
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='UniMatchHook', semi_start={{_base_.semi_start}},
         epoch_length={{_base_.epoch_length}}),
]
