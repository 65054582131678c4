# UniMatch (Yang et al., CVPR 2023) on a BUSI folder at the paper size (GPU),
# next to configs/assgan/assgan_busi-320_15pct.py: the same data (5 folds, 15%
# of each fold's training part labeled, 10% of the non-test images for
# validation), 320x320, batch 4 labeled + 4 unlabeled, Adam 1e-4, 200
# supervised epochs of 18 iterations + 500 semi-supervised epochs of 99
# iterations, and its generator A as the student: ResNet-101 DeepLabV3+ with
# an FCN auxiliary head (no pretrained weights are downloaded; set
# model.segmentor.backbone.init_cfg for ImageNet weights you have). Semi
# phase: tau 0.95, two StrongPerturbation views, Dropout2d(0.5) feature
# stream, (L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2.
#   python tools/cross_val.py configs/unimatch/unimatch_busi-320_15pct.py --amp
# Not measured yet (a GPU job).
_base_ = ['../assgan/assgan_busi-320_15pct.py']
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
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)),
    segmentor=dict())
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='UniMatchHook', semi_start={{_base_.semi_start}},
         epoch_length={{_base_.unlabeled_epoch}}),
]
