"""Dataset splits as data: deterministic train/val/test (+ labeled/unlabeled) id lists.

A split is a plain JSON-serialisable dict::

    {"version": 1, "spec": {...how it was made...},
     "train": [...], "val": [...], "test": [...],
     "labeled": [...], "unlabeled": [...]}

``labeled``/``unlabeled`` partition ``train`` (all of train is labeled unless a
labeled ratio or count was asked for). Splits are made from (ratios or counts,
seed) or from a k-fold index, stratified by a category when one is given (BUSI's
benign/malignant/normal), so the same arguments always give the same ids. They
are written to the work dir by :class:`~bus_mm.engine.hooks.SplitRecorderHook`
and can be reused by passing the JSON path as a dataset's ``split``.

Example (ASSGAN Table 1, SDBUI: 195 labeled / 1110 unlabeled / 150 val / 350 test
out of 1805 images)::

    make_split(ids, val=150, test=350, labeled=195, seed=0)
"""
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

Number = Union[int, float]
SPLIT_PARTS = ('train', 'val', 'test', 'labeled', 'unlabeled')


def _count(value: Optional[Number], total: int, name: str) -> int:
    """A ratio (float in [0, 1]) or a count (int) -> a count out of ``total``."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'split option {name!r} must be a ratio (float in '
                        f'[0, 1]) or a count (int), got {value!r}')
    if isinstance(value, float):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f'split option {name!r}={value} is a ratio and '
                             'must lie in [0, 1]; use an int for a count')
        return int(round(value * total))
    if value < 0:
        raise ValueError(f'split option {name!r}={value} must be >= 0')
    return int(value)


def stratified_order(ids: Sequence[str], strata: Optional[Sequence[str]],
                     seed: int) -> List[str]:
    """Shuffle ``ids`` so that every prefix keeps the strata proportions.

    Each stratum is shuffled on its own; an item of rank ``r`` in a stratum of
    size ``n`` gets the key ``(r + 0.5) / n`` and items are sorted by key, so
    any prefix (a test set, a labeled subset) holds each stratum in proportion
    (to within one item). Deterministic in ``seed`` and independent of the
    order ``ids`` came in.
    """
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    ids = [ids[i] for i in order]
    strata = ['' for _ in ids] if strata is None else [strata[i] for i in order]
    if len(set(ids)) != len(ids):
        raise ValueError('sample ids must be unique to make a split')
    rng = np.random.default_rng(seed)
    groups: Dict[str, List[str]] = defaultdict(list)
    for i, s in zip(ids, strata):
        groups[s].append(i)
    keyed = []
    for s in sorted(groups):
        members = groups[s]
        perm = rng.permutation(len(members))
        for rank, j in enumerate(perm):
            keyed.append(((rank + 0.5) / len(members), s, members[j]))
    keyed.sort()
    return [k[2] for k in keyed]


def stratified_folds(ids: Sequence[str], strata: Optional[Sequence[str]],
                     num_folds: int, seed: int) -> List[List[str]]:
    """Deal ids into ``num_folds`` folds, stratum by stratum.

    Within each (shuffled) stratum the members go round-robin to the folds,
    continuing where the previous stratum stopped, so every fold holds each
    stratum to within one item and fold sizes differ by at most one.
    """
    order = stratified_order(ids, strata, seed)
    strata_of = dict(zip(ids, strata)) if strata is not None else {}
    folds: List[List[str]] = [[] for _ in range(num_folds)]
    groups: Dict[str, List[str]] = defaultdict(list)
    for i in order:
        groups[strata_of.get(i, '')].append(i)
    k = 0
    for s in sorted(groups):
        for i in groups[s]:
            folds[k % num_folds].append(i)
            k += 1
    return folds


def _with_labeled(split: dict, train_order: List[str],
                  labeled: Optional[Number]) -> dict:
    """Add the labeled/unlabeled partition of the train part (in order)."""
    if labeled is None:
        n_lab = len(train_order)
    else:
        n_lab = _count(labeled, len(train_order), 'labeled')
        if n_lab > len(train_order):
            raise ValueError(
                f'the split asks for {n_lab} labeled images but the train part '
                f'has only {len(train_order)}; lower `labeled` or the val/test '
                'sizes')
        if n_lab == 0:
            raise ValueError(
                f'labeled={labeled!r} leaves no labeled image in a train part of '
                f'{len(train_order)} images; raise the labeled ratio or count')
    split['labeled'] = sorted(train_order[:n_lab])
    split['unlabeled'] = sorted(train_order[n_lab:])
    return split


def make_split(ids: Sequence[str],
               val: Number = 0.1,
               test: Number = 0.2,
               labeled: Optional[Number] = None,
               seed: int = 0,
               strata: Optional[Sequence[str]] = None) -> dict:
    """Make a train/val/test split, optionally with a labeled subset of train.

    Args:
        ids (Sequence[str]): Unique sample ids.
        val (int | float): Validation count (int) or ratio (float).
        test (int | float): Test count (int) or ratio (float).
        labeled (int | float, optional): Labeled count or ratio of the train
            part; None means all of train is labeled.
        seed (int): Random seed.
        strata (Sequence[str], optional): A category per id to stratify by.

    Returns:
        dict: The split (see module docstring).
    """
    n = len(ids)
    n_test, n_val = _count(test, n, 'test'), _count(val, n, 'val')
    if n_test + n_val >= n:
        raise ValueError(f'val ({n_val}) + test ({n_test}) leave no training '
                         f'image out of {n}; lower them')
    order = stratified_order(ids, strata, seed)
    split = dict(
        version=1,
        spec=dict(type='ratio', val=val, test=test, labeled=labeled,
                  seed=seed, stratified=strata is not None, num_ids=n),
        test=sorted(order[:n_test]),
        val=sorted(order[n_test:n_test + n_val]),
        train=sorted(order[n_test + n_val:]))
    return _with_labeled(split, order[n_test + n_val:], labeled)


def make_kfold_split(ids: Sequence[str],
                     num_folds: int = 5,
                     fold: int = 0,
                     val: Number = 0.0,
                     labeled: Optional[Number] = None,
                     seed: int = 0,
                     strata: Optional[Sequence[str]] = None) -> dict:
    """Make fold ``fold`` of a (stratified) k-fold cross-validation.

    The ``fold``-th part is the test set; ``val`` (count or ratio of the
    remaining images) is carved from the rest, and ``labeled`` is taken inside
    the training part, so semi-supervised runs keep their label fraction per
    fold. With ``val=0`` the val part is empty (evaluate on ``test``).
    """
    if not isinstance(num_folds, int) or num_folds < 2:
        raise ValueError(f'num_folds must be an int >= 2, got {num_folds!r}')
    if not 0 <= fold < num_folds:
        raise ValueError(f'fold must lie in [0, {num_folds - 1}], got {fold}')
    if len(ids) < num_folds:
        raise ValueError(f'cannot make {num_folds} folds from {len(ids)} '
                         'images: use fewer folds or more data')
    folds = stratified_folds(ids, strata, num_folds, seed)
    test = folds[fold]
    held = set(test)
    rest = [i for i in stratified_order(ids, strata, seed + 1 + fold)
            if i not in held]
    n_val = _count(val, len(rest), 'val')
    if n_val >= len(rest):
        raise ValueError(f'val={val!r} leaves no training image in fold {fold}')
    split = dict(
        version=1,
        spec=dict(type='kfold', num_folds=num_folds, fold=fold, val=val,
                  labeled=labeled, seed=seed, stratified=strata is not None,
                  num_ids=len(ids)),
        test=sorted(test),
        val=sorted(rest[:n_val]),
        train=sorted(rest[n_val:]))
    return _with_labeled(split, rest[n_val:], labeled)


def build_split(spec: Union[None, str, dict], ids: Sequence[str],
                strata: Optional[Sequence[str]] = None) -> Optional[dict]:
    """Make or load a split from a dataset's ``split`` option.

    Args:
        spec: None (no split: every sample), a path to a split JSON, or a dict
            ``dict(type='ratio', val=..., test=..., labeled=..., seed=...)`` /
            ``dict(type='kfold', num_folds=..., fold=..., val=..., labeled=...,
            seed=..., stratify=True)``.
        ids: Sample ids of the dataset.
        strata: Categories used when the spec asks to stratify (default on).
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        split = load_split(spec)
        known = set(ids)
        missing = [i for p in ('train', 'val', 'test') for i in split[p]
                   if i not in known]
        if missing:
            raise ValueError(
                f'split file {spec!r} lists {len(missing)} ids that the dataset '
                f'does not have (e.g. {missing[:3]}); was it made for another '
                'data root or with include_normal set differently?')
        return split
    spec = dict(spec)
    kind = spec.pop('type', 'ratio')
    stratify = spec.pop('stratify', True)
    strata = strata if stratify else None
    if kind == 'ratio':
        return make_split(ids, strata=strata, **spec)
    if kind == 'kfold':
        return make_kfold_split(ids, strata=strata, **spec)
    raise ValueError(f"split type must be 'ratio' or 'kfold', got {kind!r}")


def load_split(path: str) -> dict:
    """Load a split JSON and check it has the expected parts."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file not found: {path}')
    with open(path) as f:
        split = json.load(f)
    for part in ('train', 'val', 'test'):
        if part not in split:
            raise ValueError(f'split file {path!r} has no {part!r} list')
    split.setdefault('labeled', list(split['train']))
    split.setdefault('unlabeled', [])
    return split


def save_split(split: dict, path: str) -> str:
    """Write a split as JSON. An existing different file is never overwritten.

    Returns:
        str: The path written (or the existing identical file).
    """
    if osp.isfile(path):
        if load_split(path) == split:
            return path
        raise FileExistsError(
            f'{path!r} already holds a different split; remove it or choose '
            'another work dir (bus_mm never overwrites a split silently)')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(split, f, indent=1)
    return path
