# CPU demo of UniMatch (Yang et al., CVPR 2023) on the built-in phantom data,
# next to configs/assgan/assgan_phantom-demo.py: the same data and split (15%
# of the training images labeled), the same student as its generator A (a
# ResNet-18 with base width 16 DeepLabV3+ with an FCN auxiliary head,
# Dice+BCE, 128x128), batch 4 labeled + 4 unlabeled, Adam 1e-3, 300
# supervised + 300 semi-supervised iterations. The semi phase adds the
# paper's three unlabeled streams: two strong views (StrongPerturbation:
# intensity, blur, speckle, CutMix) and the feature-perturbed weak view
# (Dropout2d 0.5), each learning the weak view's pseudo-label where its
# confidence exceeds 0.95; loss = (L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2.
#   python tools/dataset_converters/make_phantoms.py data/phantom
#   python tools/train.py configs/unimatch/unimatch_phantom-demo.py
#   python tools/test.py configs/unimatch/unimatch_phantom-demo.py <ckpt>
_base_ = ['../assgan/assgan_phantom-demo.py']
model = dict(
    _delete_=True,
    type='UniMatch',
    data_preprocessor={{_base_.model.data_preprocessor}},
    segmentor={{_base_.model.generator_a}},
    semi_train_cfg=dict(
        threshold=0.95,          # tau: a pixel teaches if max(p, 1-p) > tau
        strong_aug=dict(type='StrongPerturbation', cutmix_prob=0.5),
        fp_dropout=0.5,          # Dropout2d on the backbone features
        lambda_u=1.0,            # total / (1 + lambda_u)
        weights=dict(s1=0.25, s2=0.25, fp=0.5)),
    test_cfg=dict(mode='whole'))
# One Adam for the student through bus_mm's MultiOptimWrapperConstructor (as
# ASSGAN's networks; distributed runs use MMSeparateDistributedDataParallel).
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999)),
    segmentor=dict())
# ASSGANHook's phase switch and unlabeled-image counts, after a check that
# train_dataloader delivers unlabeled samples.
custom_hooks = [
    dict(type='SplitRecorderHook'),
    dict(type='UniMatchHook', semi_start={{_base_.semi_start}},
         epoch_length=50),
]
