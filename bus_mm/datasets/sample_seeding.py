"""Data augmentation whose randomness is a pure function of (seed, sample position).

Why: dataloader workers draw augmentation parameters from their own global
RNGs (``random``, ``numpy.random``, ``torch``). Those states live in worker
processes, cannot be checkpointed, and restart from their initial seed when a
run is resumed, so a resumed run sees other crops/flips/gammas than the run it
continues. Here the sampler tags every index it yields with a seed derived
from ``(run seed, rank, position in the rank's sample stream)``, and the
dataset reseeds the three global RNGs from that seed just for the time it
loads and transforms the sample. The augmentation of the n-th sample of a run
is then the same whichever process loads it, with any number of workers, and
after any resume, while the caller's own RNG states are left untouched.

The tag travels inside the index itself (``(sample_seed + 1) * N + index``
for a dataset of N samples; plain indices below N load unseeded), so nothing
changes in PyTorch's ``DataLoader`` or in mmengine.

Use both wrappers together (``tools/train.py`` does this for every training
run, see :func:`bus_mm.engine.resumable_run.prepare_run`)::

    train_dataloader = dict(
        sampler=dict(type='SampleSeededSampler',
                     sampler=dict(type='InfiniteSampler', shuffle=True)),
        dataset=dict(type='SampleSeededDataset', dataset=dict(...)))
"""
import contextlib
import random
from typing import Iterator, Optional, Sized, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS, DATASETS
from torch.utils.data import Sampler


def sample_seed(seed: int, rank: int, position: int) -> int:
    """The 32-bit seed of the ``position``-th sample drawn by ``rank``.

    Args:
        seed (int): The run's seed.
        rank (int): The process rank.
        position (int): 0-based position in the rank's sample stream.
    """
    seq = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(rank),
                                  int(position)])
    return int(seq.generate_state(1)[0])


def encode_index(index: int, seed: int, num_samples: int) -> int:
    """Pack a dataset index and its sample seed into one int."""
    return (seed + 1) * num_samples + index


def decode_index(code: int, num_samples: int):
    """Inverse of :func:`encode_index`: ``(index, seed or None)``."""
    code = int(code)
    if code < num_samples:
        return code, None
    seed, index = divmod(code, num_samples)
    return index, seed - 1


@contextlib.contextmanager
def seeded_global_rng(seed: int):
    """Seed ``random``, ``numpy.random`` and torch's CPU RNG inside the block,
    then give the caller back exactly the states it had before."""
    py_state = random.getstate()
    np_state = np.random.get_state()
    torch_state = torch.random.get_rng_state()
    random.seed(seed)
    np.random.seed(seed)
    # CPU generator only: torch.manual_seed would also reseed CUDA devices
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.random.set_rng_state(torch_state)


@DATASETS.register_module()
class SampleSeededDataset:
    """Dataset wrapper that loads each tagged sample under its own seed.

    Indices made by :class:`SampleSeededSampler` carry a sample seed: the
    sample is loaded and transformed with ``random``, ``numpy.random`` and
    torch seeded from it. Plain indices (``< len(dataset)``) load as usual.
    Every other attribute (``metainfo``, ``datasets``, ``data_list``...) is the
    wrapped dataset's.

    Args:
        dataset (dict or Dataset): The dataset (or its config) to wrap.
    """

    def __init__(self, dataset: Union[dict, Sized]) -> None:
        self.dataset = (DATASETS.build(dataset)
                        if isinstance(dataset, dict) else dataset)

    def __getattr__(self, name: str):
        if name == 'dataset':  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.dataset, name)

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information."""
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Fully initialise the wrapped dataset (mmengine lazy init)."""
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, code: int):
        index, seed = decode_index(code, len(self.dataset))
        if seed is None:
            return self.dataset[index]
        with seeded_global_rng(seed):
            return self.dataset[index]


@DATA_SAMPLERS.register_module()
class SampleSeededSampler(Sampler):
    """Sampler wrapper that tags every index with its sample seed.

    The index order is the wrapped sampler's; the seed of the i-th index of
    epoch e is :func:`sample_seed` ``(seed, rank, e * len(sampler) + i)``.
    Endless samplers (``InfiniteSampler``, ``LabeledUnlabeledSampler``) stay
    in epoch 0 and simply count on; finite ones are moved to the next epoch
    by ``set_epoch`` (mmengine's ``DistSamplerSeedHook`` and its
    iteration-based loop call it).
    A deterministic wrapped sampler thus gives a sample stream whose every
    element, augmentation included, is a function of the seed and its position.

    Args:
        dataset (Sized): The dataloader's dataset (a
            :class:`SampleSeededDataset`; its wrapped dataset goes to the
            wrapped sampler).
        sampler (dict): Config of the wrapped sampler.
        seed (int, optional): The run's seed (mmengine passes it); synchronised
            across ranks when None.
    """

    def __init__(self,
                 dataset: Sized,
                 sampler: dict,
                 seed: Optional[int] = None) -> None:
        if not isinstance(dataset, SampleSeededDataset):
            raise TypeError(
                'SampleSeededSampler needs the dataloader dataset to be a '
                "SampleSeededDataset (dataset=dict(type='SampleSeededDataset', "
                'dataset=...)); without it the seeds would be read as indices.')
        inner = dataset.dataset
        self.sampler = DATA_SAMPLERS.build(
            sampler, default_args=dict(dataset=inner, seed=seed))
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.rank, _ = get_dist_info()
        self.num_samples = len(inner)
        self.epoch = 0
        self._position = 0

    def __iter__(self) -> Iterator[int]:
        # The position counter lives on the sampler, not in this generator:
        # mmengine's InfiniteSampler hands every iterator the same endless
        # stream, whose positions must keep counting.
        for index in self.sampler:
            position = self._position
            self._position += 1
            yield encode_index(int(index),
                               sample_seed(self.seed, self.rank, position),
                               self.num_samples)

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch for both samplers; a new epoch starts at position
        ``epoch * len(sampler)``."""
        if epoch != self.epoch:
            self._position = epoch * len(self.sampler)
        self.epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)
