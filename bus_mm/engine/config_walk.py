"""Find and retarget the datasets of a config's train/val/test loaders.

Used by ``tools/train.py``/``tools/test.py`` (``--data-root``) and
``tools/cross_val.py`` (fold splits, per-fold curriculum masks), so a user
never has to spell out ``train_dataloader.dataset.datasets.0.split=...``.
"""
from typing import List, Tuple

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def loader_datasets(cfg) -> List[Tuple[str, dict]]:
    """``(dotted key, dataset dict)`` of every dataset in the three loaders.

    Walks each loader's ``dataset`` and through wrappers such as
    ``ConcatDataset`` (``datasets`` lists) and ``RepeatDataset``
    (``dataset``); only dicts with a ``data_root`` or a ``split`` count.
    """
    found = []

    def walk(node, key):
        if isinstance(node, dict):
            if 'type' in node and ('split' in node or 'data_root' in node):
                found.append((key, node))
            for k, v in node.items():
                if k != 'pipeline':
                    walk(v, f'{key}.{k}')
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, f'{key}.{i}')

    for loader in LOADERS:
        if cfg.get(loader) and cfg[loader].get('dataset'):
            walk(cfg[loader]['dataset'], f'{loader}.dataset')
    return found


def split_datasets(cfg) -> List[Tuple[str, dict]]:
    """The loader datasets that take a ``split`` (all bus_mm datasets)."""
    return [(k, d) for k, d in loader_datasets(cfg) if 'split' in d]


def curriculum_keys(cfg) -> List[str]:
    """Dotted keys of every ``LoadCurriculumMasks.curriculum_dir``."""
    keys = []
    for key, ds in loader_datasets(cfg):
        for i, t in enumerate(ds.get('pipeline') or []):
            if isinstance(t, dict) and t.get('type') == 'LoadCurriculumMasks':
                keys.append(f'{key}.pipeline.{i}.curriculum_dir')
    return keys


def set_data_root(cfg, data_root: str) -> int:
    """Point every loader dataset of ``cfg`` at ``data_root`` (in place).

    Returns:
        int: How many dataset dicts were changed.

    Raises:
        ValueError: When no loader dataset has a ``data_root``.
    """
    datasets = [d for _, d in loader_datasets(cfg) if 'data_root' in d]
    if not datasets:
        raise ValueError('--data-root: no train/val/test dataset of this '
                         'config has a data_root to replace')
    for ds in datasets:
        ds['data_root'] = data_root
    return len(datasets)


SEMI_SUPERVISED = ('ASSGAN', 'UniMatch')


def enable_gate_audit(cfg) -> int:
    """Load masks of the unlabeled training images to audit pseudo-labels
    (ASSGAN's trust gate, UniMatch's confidence mask).

    Sets ``audit_masks=True`` on every train dataset with
    ``split_part='unlabeled'`` (the masks never reach a loss).

    Returns:
        int: How many datasets were changed.

    Raises:
        ValueError: When the config builds no semi-supervised segmentor
            (ASSGAN, UniMatch) or its train loader has no unlabeled part.
    """
    if cfg.get('model', {}).get('type') not in SEMI_SUPERVISED:
        raise ValueError('--audit-gate audits the pseudo-labels of '
                         f'{" or ".join(SEMI_SUPERVISED)}; this config builds '
                         f'{cfg.get("model", {}).get("type")}')
    parts = [d for k, d in loader_datasets(cfg)
             if k.startswith('train_dataloader')
             and d.get('split_part') == 'unlabeled']
    if not parts:
        raise ValueError('--audit-gate: the train loader has no dataset with '
                         "split_part='unlabeled' to audit")
    for ds in parts:
        ds['audit_masks'] = True
    return len(parts)
