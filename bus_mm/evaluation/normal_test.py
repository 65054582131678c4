"""Test a model trained without BUSI's normal images on those images.

Most BUSI protocols (TaiChiNet's Tables I-III, bus_mm's cpu128 configs) leave
the lesion-free ``normal`` images out of training and test. A model deployed
on a scanner still sees such images; what it draws on them is a false
positive. ``tools/cross_val.py --test-normal`` therefore tests each fold's
checkpoint a second time on every normal image of the data root (none of them
was seen in training, so all are unseen test images) and adds BUSMetric's
``normal_*`` figures (:data:`~bus_mm.evaluation.bus_metric.NORMAL_NAMES`:
images predicted clean, false-positive pixels per normal image...) to the
fold's metrics, where ``cv_summary`` and
``tools/analysis_tools/paired_diff.py`` report them.

This module holds the config side: which test datasets can take the normal
images, their ids, and the ``--cfg-options`` that point the test loader at
them.
"""
from typing import Dict, List, Mapping, Tuple

from bus_mm.engine.config_walk import split_datasets

from .bus_metric import NORMAL_NAMES

NORMAL_CATEGORY = 'normal'


def normal_test_datasets(cfg) -> List[Tuple[str, dict]]:
    """The test loader's datasets, checked to be BUSI without normal images.

    Args:
        cfg: A loaded config.

    Returns:
        list[tuple]: ``(dotted key, dataset dict)`` of every split-taking
        dataset of ``test_dataloader``.

    Raises:
        ValueError: When the test loader has no such dataset, one is not a
            ``BUSIDataset`` (only BUSI has a ``normal`` folder), or one
            already includes the normal images (then the fold test counts
            them and there is nothing to add).
    """
    found = [(k, d) for k, d in split_datasets(cfg)
             if k.startswith('test_dataloader')]
    if not found:
        raise ValueError('the config has no test_dataloader dataset with a '
                         '`split` to point at the normal images')
    for key, ds in found:
        if ds.get('type') != 'BUSIDataset':
            raise ValueError(
                f'{key} is a {ds.get("type")}; only BUSIDataset has normal '
                'images (<root>/normal/). Drop --test-normal for this data.')
        if ds.get('include_normal'):
            raise ValueError(
                f'{key} already has include_normal=True, so the fold test '
                'counts the normal images (normal_* figures); drop '
                '--test-normal.')
    return found


def normal_ids(cfg) -> List[str]:
    """Sample ids of the normal images under the test dataset's root.

    Args:
        cfg: A loaded config (after ``--data-root`` / ``--cfg-options``).

    Returns:
        list[str]: ``normal/normal (<n>)`` ids, sorted; empty when the root
        has no ``normal`` folder.
    """
    import bus_mm  # noqa: F401  (registers the datasets)
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    ds_cfg = dict(normal_test_datasets(cfg)[0][1])
    ds_cfg.update(split=None, split_part='all', pipeline=[],
                  include_normal=True)
    dataset = DATASETS.build(ds_cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return sorted(d['sample_id'] for d in infos
                  if d.get('category') == NORMAL_CATEGORY)


def normal_split(ids: List[str]) -> dict:
    """A split whose test part is ``ids`` (and nothing to train on)."""
    return dict(train=[], val=[], test=list(ids), labeled=[], unlabeled=[],
                spec=dict(type='normal-images', num_images=len(ids)))


def normal_test_options(cfg, split_path: str) -> List[str]:
    """``--cfg-options`` items that test on the normal images only.

    Args:
        cfg: A loaded config.
        split_path (str): A split JSON from :func:`normal_split`.

    Returns:
        list[str]: For every test dataset, ``include_normal=True``, the split
        path and ``split_part='test'``; they come after the fold's own
        options on the command line, so they win.
    """
    opts = []
    for key, _ in normal_test_datasets(cfg):
        opts += [f'{key}.include_normal=True', f'{key}.split={split_path}',
                 f'{key}.split_part=test']
    return opts


def has_normal_figures(metrics: Mapping[str, Mapping[str, float]]) -> bool:
    """Whether every variant of a fold's metrics has the normal figures."""
    return bool(metrics) and all('normal_num_images' in m
                                 for m in metrics.values())


def merge_normal_figures(
        metrics: Mapping[str, Mapping[str, float]],
        normal_metrics: Mapping[str, Mapping[str, float]]
) -> Dict[str, Dict[str, float]]:
    """Add the normal-image test's ``normal_*`` figures to a fold's metrics.

    Args:
        metrics: ``{variant: {metric: value}}`` of the fold's test.
        normal_metrics: The same from the test on the normal images.

    Returns:
        dict: A copy of ``metrics`` where each variant also holds the
        ``normal_*`` figures of the same variant (the per-image Dice, IoU...
        of an all-normal test are not copied: they only count clean images).

    Raises:
        ValueError: When a variant is missing from ``normal_metrics`` or has
            no normal figures.
    """
    out = {}
    for variant, figures in metrics.items():
        normal = normal_metrics.get(variant)
        if not normal or 'normal_num_images' not in normal:
            raise ValueError(f'the normal-image test has no normal_* figures '
                             f'for {variant!r} (has {sorted(normal_metrics)})')
        out[variant] = dict(figures)
        out[variant].update({n: normal[n] for n in NORMAL_NAMES if n in normal})
    return out
