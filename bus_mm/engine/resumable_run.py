"""Prepare a training config so that a killed run resumes into the very same run.

:func:`prepare_run` is what ``tools/train.py`` calls on every config, after
the command-line overrides and before the runner is built:

1. **Reliability hooks on** (unless the config sets them to None):
   ``RandomStateHook`` (per-iteration seeds, RNG states in checkpoints),
   ``NonFiniteGuardHook`` (``--allow-nonfinite`` turns it off) and
   ``TrainDataCheckHook`` (empty masks).
2. **Sample-seeded training data**: the train dataloader's sampler and dataset
   are wrapped in ``SampleSeededSampler`` / ``SampleSeededDataset``, so each
   sample's augmentation is a function of (seed, position) and not of the
   state of a dataloader worker.
3. **Resume from a readable checkpoint**: with ``--resume``, the checkpoint is
   the one ``last_checkpoint`` names if it is complete, else the previous one
   (see :func:`~bus_mm.engine.atomic_checkpoint.select_resume_checkpoint`).
4. **The run's seed is fixed**: a config with ``randomness.seed=None`` resumes
   with the seed its checkpoint recorded (mmengine would only restore it
   after the dataloader was built with a fresh random seed).

Together with mmengine's own resume (weights, optimizers, loss scalers,
schedulers, message hub, iteration; data is advanced by replaying the sampler)
a run killed at any point and resumed ends with the same weights as the
uninterrupted run (CPU, fp32; tested in ``tests/engine/test_resume_exact.py``).
"""
from typing import Optional

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from .atomic_checkpoint import checkpoint_problem, select_resume_checkpoint

MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')
RELIABILITY_HOOKS = dict(
    random_state=dict(type='RandomStateHook'),
    nonfinite_guard=dict(type='NonFiniteGuardHook'),
    data_check=dict(type='TrainDataCheckHook'),
)


def _checkpoint_seed(path: str) -> Optional[int]:
    import torch
    ckpt = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    return ckpt.get('meta', {}).get('seed')


def wrap_train_dataloader(cfg: Config) -> bool:
    """Wrap ``cfg.train_dataloader``'s sampler and dataset for sample seeding.

    Returns:
        bool: True if wrapped (or already wrapped), False if the loader cannot
        be (no sampler config, or a custom ``batch_sampler``).
    """
    loader = cfg.get('train_dataloader')
    if not loader or not isinstance(loader.get('sampler'), dict) \
            or not isinstance(loader.get('dataset'), dict):
        return False
    if loader.sampler.get('type') == 'SampleSeededSampler':
        return True
    if loader.get('batch_sampler') is not None:
        print_log('train_dataloader has a batch_sampler: its augmentations are '
                  'not sample-seeded, so --resume may not repeat the run '
                  'exactly.', logger='current', level=30)
        return False
    loader.sampler = ConfigDict(type='SampleSeededSampler',
                                sampler=loader.sampler)
    loader.dataset = ConfigDict(type='SampleSeededDataset',
                                dataset=loader.dataset)
    return True


def prepare_run(cfg: Config, resume: bool = False,
                allow_nonfinite: bool = False) -> Config:
    """Make ``cfg`` a reliable, exactly resumable training run (in place).

    Args:
        cfg (Config): The training config (``work_dir`` set).
        resume (bool): The run continues the one in ``cfg.work_dir``.
        allow_nonfinite (bool): Do not stop on NaN/Inf losses.

    Returns:
        Config: ``cfg``.
    """
    hooks = cfg.setdefault('default_hooks', ConfigDict())
    for name, hook in RELIABILITY_HOOKS.items():
        if name not in hooks:
            hooks[name] = ConfigDict(hook)
    if allow_nonfinite:
        hooks['nonfinite_guard'] = None
    # mmengine accepts None only for its own five default hooks (and asserts
    # otherwise); for the others (ours, TrainingCurvesHook...) None means off,
    # e.g. --allow-nonfinite or --cfg-options default_hooks.curves=None.
    for name in [k for k, v in hooks.items() if v is None]:
        if name not in MMENGINE_DEFAULT_HOOKS:
            hooks.pop(name)
    if 'train_dataloader' in cfg and cfg.train_dataloader:
        wrap_train_dataloader(cfg)
    if resume:
        if cfg.get('load_from'):
            problem = checkpoint_problem(cfg.load_from)
            if problem:
                raise SystemExit(f'--resume from load_from={cfg.load_from!r}: '
                                 f'{problem}. Give another checkpoint.')
            ckpt = cfg.load_from
        else:
            ckpt = select_resume_checkpoint(cfg.work_dir)
            if ckpt is not None:
                cfg.load_from = ckpt
        randomness = cfg.setdefault('randomness', ConfigDict())
        if ckpt is not None and randomness.get('seed') is None:
            seed = _checkpoint_seed(ckpt)
            if seed is not None:
                randomness['seed'] = seed
                print_log(f'resuming with the seed of {ckpt}: {seed}',
                          logger='current')
    return cfg
