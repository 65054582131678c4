import itertools

import pytest
from mmengine.dataset import ConcatDataset

from bus_mm.datasets import BUSIDataset, LabeledUnlabeledSampler


def _concat(busi_tree):
    split = dict(type='ratio', val=1, test=1, labeled=2, seed=0)
    lab = BUSIDataset(data_root=busi_tree, include_normal=True, split=split,
                      split_part='labeled')
    unl = BUSIDataset(data_root=busi_tree, include_normal=True, split=split,
                      split_part='unlabeled')
    return ConcatDataset([lab, unl]), len(lab), len(unl)


def test_fixed_ratio_per_batch(busi_tree):
    ds, n_lab, n_unl = _concat(busi_tree)
    s = LabeledUnlabeledSampler(ds, batch_size=4, num_labeled=1, seed=0)
    idx = list(itertools.islice(iter(s), 4 * 12))
    for b in range(12):
        batch = idx[4 * b:4 * b + 4]
        assert batch[0] < n_lab and all(n_lab <= i < n_lab + n_unl
                                        for i in batch[1:])
    # every labeled and unlabeled image is visited
    assert {i for i in idx if i < n_lab} == set(range(n_lab))
    assert {i for i in idx if i >= n_lab} == set(range(n_lab, n_lab + n_unl))
    # deterministic for a seed
    again = list(itertools.islice(iter(
        LabeledUnlabeledSampler(ds, batch_size=4, num_labeled=1, seed=0)), 48))
    assert again == idx


def test_bad_arguments(busi_tree):
    ds, _, _ = _concat(busi_tree)
    with pytest.raises(ValueError, match='num_labeled'):
        LabeledUnlabeledSampler(ds, batch_size=4, num_labeled=0, seed=0)
    with pytest.raises(TypeError, match='ConcatDataset'):
        LabeledUnlabeledSampler(ds.datasets[0], batch_size=4, num_labeled=1)
