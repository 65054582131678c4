# ASSGAN schedule: one Adam(1e-4) per network (generator_a, generator_b and
# the discriminator; a config without D sets optim_wrapper.discriminator=None)
# through bus_mm's MultiOptimWrapperConstructor; iteration
# based (the labeled/unlabeled sampler is endless). Top-level configs add
#   custom_hooks = [dict(type='SplitRecorderHook'),
#                   dict(type='ASSGANHook', semi_start=..., epoch_length=...)]
# which switches Algorithm 1 -> Algorithm 2 and logs the trusted-image counts.
max_iters = 20000
val_interval = 1000
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)),
    generator_a=dict(),
    generator_b=dict(),
    discriminator=dict(optimizer=dict(lr=1e-4)))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=val_interval, max_keep_ckpts=2,
                    save_best='IoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # <work_dir>/curves/*.png: losses, validation, ASSGAN pseudo-labels
    curves=dict(type='TrainingCurvesHook'),
    # reliability (README "Resume" and "Non-finite guard"): per-iteration
    # seeds + RNG states in checkpoints, stop at the first NaN/Inf loss or
    # parameter, refuse training masks without any lesion pixel
    random_state=dict(type='RandomStateHook'),
    nonfinite_guard=dict(type='NonFiniteGuardHook'),
    data_check=dict(type='TrainDataCheckHook'))
# Distributed training wraps the three networks separately.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)
