"""Augmentation randomness as a function of (seed, sample position)."""
import itertools
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler, InfiniteSampler
from torch.utils.data import DataLoader

from bus_mm.datasets import BUSIDataset
from bus_mm.datasets.sample_seeding import (SampleSeededDataset,
                                            SampleSeededSampler, decode_index,
                                            encode_index, sample_seed,
                                            seeded_global_rng)


class RandomDataset:
    """Each sample draws from all three global generators (like transforms)."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        return (idx, float(np.random.rand()), random.random(),
                float(torch.rand(1)))


def _wrapped(sampler=None, n=10):
    ds = SampleSeededDataset(RandomDataset(n))
    sampler = sampler or dict(type='InfiniteSampler', shuffle=True)
    return ds, SampleSeededSampler(ds, sampler=sampler, seed=3)


def test_encode_decode_roundtrip():
    for idx, seed, n in [(0, 0, 1), (9, 2**32 - 1, 10), (5, 12345, 6)]:
        assert decode_index(encode_index(idx, seed, n), n) == (idx, seed)
    assert decode_index(7, 10) == (7, None)  # plain index


def test_seeded_block_leaves_caller_state_alone():
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    expected = (np.random.rand(), random.random(), float(torch.rand(1)))
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    with seeded_global_rng(99):
        inside = (np.random.rand(), random.random(), float(torch.rand(1)))
    assert (np.random.rand(), random.random(), float(torch.rand(1))) == expected
    with seeded_global_rng(99):
        assert (np.random.rand(), random.random(),
                float(torch.rand(1))) == inside


def test_same_stream_with_any_number_of_workers():
    def first(num_workers, count=24):
        ds, sampler = _wrapped()  # InfiniteSampler: one stream per sampler
        loader = DataLoader(ds, batch_size=4, sampler=sampler,
                            num_workers=num_workers,
                            collate_fn=lambda b: b)
        return list(itertools.chain.from_iterable(
            itertools.islice(iter(loader), count // 4)))

    single = first(0)
    assert first(2) == single
    # every sample of the stream got its own draws
    assert len({s[1] for s in single}) == len(single)
    # index order is the wrapped InfiniteSampler's
    order = list(itertools.islice(iter(InfiniteSampler(RandomDataset(),
                                                       seed=3)), 24))
    assert [s[0] for s in single] == order


def test_set_epoch_of_the_same_epoch_keeps_counting():
    ds, sampler = _wrapped()
    it = iter(sampler)
    first = list(itertools.islice(it, 5))
    sampler.set_epoch(0)  # mmengine calls it before the first epoch
    seeds = [decode_index(c, 10)[1] for c in first + [next(it)]]
    assert seeds == [sample_seed(3, 0, i) for i in range(6)]


def test_positions_move_on_with_the_epoch():
    ds, sampler = _wrapped(dict(type='DefaultSampler', shuffle=True))
    sampler.set_epoch(0)
    epoch0 = list(sampler)
    sampler.set_epoch(1)
    epoch1 = list(sampler)
    assert sampler.sampler.epoch == 1  # forwarded to the wrapped sampler
    plain = DefaultSampler(RandomDataset(), shuffle=True, seed=3)
    plain.set_epoch(1)
    assert [decode_index(c, 10)[0] for c in epoch1] == list(plain)
    seeds1 = [decode_index(c, 10)[1] for c in epoch1]
    assert seeds1 == [sample_seed(3, 0, 10 + i) for i in range(10)]
    assert not set(seeds1) & {decode_index(c, 10)[1] for c in epoch0}


def test_wrapper_forwards_dataset_attributes(busi_tree):
    split = dict(type='ratio', val=1, test=1, labeled=2, seed=0)
    inner = dict(type='BUSIDataset', data_root=busi_tree, split=split,
                 split_part='train', include_normal=True, pipeline=[])
    ds = SampleSeededDataset(inner)
    assert isinstance(ds.dataset, BUSIDataset)
    assert ds.metainfo == ds.dataset.metainfo
    assert ds.split_part == 'train' and len(ds) == len(ds.dataset)
    assert ds[0]['img_path'] == ds.dataset[0]['img_path']


def test_sampler_refuses_an_unwrapped_dataset():
    with pytest.raises(TypeError, match='SampleSeededDataset'):
        SampleSeededSampler(RandomDataset(), sampler=dict(
            type='InfiniteSampler'), seed=0)
