"""Random states that make ``--resume`` continue the very same run."""
import random

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ...datasets.sample_seeding import SampleSeededDataset

CKPT_KEY = 'bus_mm_random_state'


def iteration_seed(seed: int, rank: int, iteration: int) -> int:
    """The 32-bit seed of training iteration ``iteration`` on ``rank``."""
    seq = np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFF, int(rank), int(iteration), 0x5EED])
    return int(seq.generate_state(1)[0])


def capture_random_state() -> dict:
    """The global RNG states of this process (python, numpy, torch, CUDA)."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(),
                 torch=torch.random.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict) -> None:
    """Inverse of :func:`capture_random_state`."""
    random.setstate(_as_tuple(state['python']))
    np.random.set_state(_as_tuple(state['numpy']))
    # torch wants CPU ByteTensors back; a resumed checkpoint is loaded with
    # ``map_location`` on the run's device, so on a GPU they arrive on CUDA
    torch.random.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda = [s.cpu() for s in state['cuda']]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


def _as_tuple(value):
    """Python/numpy want nested tuples back (checkpoints may hold lists)."""
    if isinstance(value, list):
        return tuple(_as_tuple(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_as_tuple(v) for v in value)
    return value


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Derive every training iteration's randomness from (seed, rank, iteration).

    Before each training iteration the global ``random``, ``numpy.random`` and
    torch (CPU and every CUDA device) generators are reseeded from
    :func:`iteration_seed`. Whatever consumed random numbers in between
    (validation, dataloader restarts, a resume, hooks), iteration ``i`` always
    starts from the same state, so dropout, random pseudo-label choices and any
    other model-side draw of a resumed run equal the uninterrupted run's.
    Augmentation randomness, which runs in dataloader workers, is made a
    function of the sample position by ``SampleSeededSampler`` /
    ``SampleSeededDataset`` (``tools/train.py`` installs them).

    Each checkpoint also records, under ``'bus_mm_random_state'``, the seed, the
    rule and the process's RNG states at save time; loading a checkpoint
    restores those states (before the next iteration reseeds anyway).

    Args:
        reseed_every_iter (bool): Reseed before every iteration. Defaults to
            True; False only records and restores the states.
    """

    priority = 'VERY_HIGH'

    def __init__(self, reseed_every_iter: bool = True) -> None:
        self.reseed_every_iter = reseed_every_iter

    def before_train(self, runner) -> None:
        """Warn when augmentation randomness is not tied to sample positions."""
        loader = getattr(runner.train_loop, 'dataloader', None)
        dataset = getattr(loader, 'dataset', None)
        if (loader is not None and loader.num_workers > 0
                and not isinstance(dataset, SampleSeededDataset)):
            print_log(
                'RandomStateHook: the train dataloader is not sample-seeded, '
                'so its workers draw augmentations from RNG states no '
                'checkpoint can hold; a resumed run will differ from an '
                'uninterrupted one. Train with tools/train.py (it wraps the '
                "loader) or use dict(type='SampleSeededSampler', ...) and "
                "dict(type='SampleSeededDataset', ...).",
                logger='current', level=30)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Reseed the global generators for this iteration."""
        if not self.reseed_every_iter:
            return
        rank, _ = get_dist_info()
        s = iteration_seed(runner.seed, rank, runner.iter)
        random.seed(s)
        np.random.seed(s)
        torch.manual_seed(s)  # also every CUDA device

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the seed, the reseeding rule and the current RNG states."""
        checkpoint[CKPT_KEY] = dict(
            seed=runner.seed,
            rule=('iteration i reseeds python/numpy/torch from '
                  'SeedSequence([seed, rank, i, 0x5EED])'
                  if self.reseed_every_iter else 'none'),
            **capture_random_state())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore the RNG states a checkpoint recorded (if any)."""
        state = checkpoint.get(CKPT_KEY)
        if state is None:
            return
        if state.get('seed') != runner.seed:
            print_log(f'RandomStateHook: the checkpoint was written by a run '
                      f'with seed {state.get("seed")}, this run has seed '
                      f'{runner.seed}; the resumed run will not repeat it.',
                      logger='current', level=30)
        restore_random_state(state)
