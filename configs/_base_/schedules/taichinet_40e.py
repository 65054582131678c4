# TaiChiNet schedule (Sec. V-B): Adam, constant lr 1e-4, 40 epochs.
# Epoch-based: mmengine's EpochBasedTrainLoop. The dataset config must use a
# finite sampler, i.e. `train_dataloader.sampler=dict(type='DefaultSampler',
# shuffle=True)` instead of bus_common's InfiniteSampler (the TaiChiNet configs
# do so) and `log_processor = dict(by_epoch=True)` (default_runtime.py logs by
# iteration). Validation and the best checkpoint (per-image lesion IoU) every
# epoch.
max_epochs = 40
val_interval = 1
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs,
    val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True,
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
