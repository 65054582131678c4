"""Write the data split(s) a run used into its work dir, for audit and reuse."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...datasets.splits import save_split


def _leaf_datasets(dataset):
    """Yield the datasets inside (possibly nested) Concat/Repeat wrappers."""
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:
        for d in inner:
            yield from _leaf_datasets(d)
    elif hasattr(dataset, 'dataset'):
        yield from _leaf_datasets(dataset.dataset)
    else:
        yield dataset


@HOOKS.register_module()
class SplitRecorderHook(Hook):
    """Save ``split.json`` (the ids of every part) to the work dir at start.

    Every BUS dataset of the run computes its split from the same spec, so one
    file is written; datasets with different specs (e.g. a test set from
    another root) get ``split_<n>.json``. The file can be passed back as a
    dataset's ``split`` to reproduce the run exactly. An existing, different
    split file is never overwritten (the run stops with an error).
    """
    priority = 'VERY_HIGH'

    def _datasets(self, runner):
        for name in ('_train_loop', '_val_loop', '_test_loop'):
            loop = getattr(runner, name, None)
            loader = getattr(loop, 'dataloader', None)
            if loader is not None:
                yield from _leaf_datasets(loader.dataset)

    def before_train(self, runner) -> None:
        self._record(runner)

    def before_test(self, runner) -> None:
        self._record(runner)

    def _record(self, runner) -> None:
        if not is_main_process():
            return
        seen = []
        for d in self._datasets(runner):
            split = getattr(d, 'split_dict', None)
            if split is not None and split not in seen:
                seen.append(split)
        for k, split in enumerate(seen):
            name = 'split.json' if k == 0 else f'split_{k}.json'
            path = save_split(split, osp.join(runner.work_dir, name))
            runner.logger.info(
                f'data split written to {path}: ' + ', '.join(
                    f'{p}={len(split[p])}' for p in
                    ('train', 'labeled', 'unlabeled', 'val', 'test')))
