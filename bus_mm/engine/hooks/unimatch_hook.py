"""UniMatch's phase switch: ``ASSGANHook``'s (the phase and the statistics of
the images that taught), plus a check that the train loader has unlabeled
data."""
from typing import Optional

from mmseg.registry import HOOKS
from .assgan_hook import ASSGANHook


def _leaf_datasets(dataset) -> list:
    """The datasets inside ``ConcatDataset`` / ``RepeatDataset`` /
    ``ClassBalancedDataset`` wrappers."""
    inner = getattr(dataset, 'datasets', None)
    if isinstance(inner, (list, tuple)):
        return [leaf for d in inner for leaf in _leaf_datasets(d)]
    if type(dataset).__name__ in ('RepeatDataset', 'ClassBalancedDataset'):
        return _leaf_datasets(dataset.dataset)
    return [dataset]


def has_unlabeled_data(dataloader) -> Optional[bool]:
    """Whether a train dataloader delivers unlabeled samples: a dataset
    entry with ``labeled=False`` and a sampler that draws from it. None when
    that cannot be told (datasets without data infos)."""
    sampler = getattr(dataloader, 'sampler', None)
    if sampler is not None and hasattr(sampler, 'num_labeled') and \
            hasattr(sampler, 'batch_size') and \
            sampler.num_labeled >= sampler.batch_size:
        return False
    known, found = True, False
    for ds in _leaf_datasets(getattr(dataloader, 'dataset', None)):
        if ds is None or not hasattr(ds, 'get_data_info') or \
                not hasattr(ds, '__len__'):
            known = False
            continue
        for i in range(len(ds)):
            if ds.get_data_info(i).get('labeled', True) is False:
                found = True
                break
        if found:
            break
    return True if found else (False if known else None)


@HOOKS.register_module()
class UniMatchHook(ASSGANHook):
    """``ASSGANHook`` (phase switch at ``semi_start``, counts of the
    unlabeled images that taught, gate audit) that first refuses a
    ``train_dataloader`` without unlabeled data. Same arguments."""

    method = 'UniMatch'

    def before_train(self, runner) -> None:
        if has_unlabeled_data(runner.train_dataloader) is False:
            raise ValueError(
                'UniMatchHook: train_dataloader delivers no unlabeled '
                'samples (metainfo labeled=False), so the semi-supervised '
                "phase would train nothing new; use dataset=dict(type="
                "'ConcatDataset', datasets=[dict(..., split_part='labeled'),"
                " dict(..., split_part='unlabeled')]) with sampler=dict("
                "type='LabeledUnlabeledSampler', num_labeled < batch_size) "
                '(see configs/unimatch/unimatch_phantom-demo.py).')
        super().before_train(runner)
