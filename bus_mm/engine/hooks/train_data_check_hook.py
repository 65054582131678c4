"""Refuse to train on masks without a single lesion pixel."""
import os.path as osp
from typing import List, Tuple

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ...datasets.mask_io import read_union_mask
from .split_recorder_hook import _leaf_datasets


class DegenerateDataError(ValueError):
    """The training data cannot teach a lesion segmentor."""


def count_empty_masks(dataset) -> Tuple[int, List[str]]:
    """Labeled samples of a bus_mm dataset and the ids of those whose ground
    truth (the union of their masks) has no lesion pixel.

    Datasets whose data infos carry no ``mask_paths`` (not bus_mm datasets)
    count 0 labeled samples.
    """
    if not hasattr(dataset, 'get_data_info'):
        return 0, []
    labeled, empty = 0, []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        paths = info.get('mask_paths') if isinstance(info, dict) else None
        if not paths or not info.get('labeled', True):
            continue
        labeled += 1
        if not read_union_mask(paths, info.get('img_path')).any():
            empty.append(info.get('sample_id') or osp.basename(paths[0]))
    return labeled, empty


@HOOKS.register_module()
class TrainDataCheckHook(Hook):
    """Check the training masks once, before the first iteration.

    Reads the ground truth of every labeled training sample (for ASSGAN the
    labeled part of the labeled/unlabeled ``ConcatDataset``) and

    - stops with :class:`DegenerateDataError` when none has a lesion pixel (a
      segmentor would only learn "background everywhere": wrong mask files,
      masks saved as 0/1 where 0/255 was meant or the reverse, a split of
      normal images only, or a labeled fraction that kept only normal cases);
    - logs how many masks are empty when some are (e.g. BUSI's normal images
      with ``include_normal=True``), with a few of their ids.

    It is in every bus_mm schedule's ``default_hooks`` (``data_check``).
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Count empty training masks; stop if all are empty."""
        dataset = runner.train_loop.dataloader.dataset
        total, parts = 0, []
        all_empty: List[str] = []
        for leaf in _leaf_datasets(dataset):
            labeled, empty = count_empty_masks(leaf)
            if not labeled:
                continue
            total += labeled
            all_empty += empty
            part = getattr(leaf, 'split_part', 'train')
            root = getattr(leaf, 'data_root', '?')
            parts.append(f'{type(leaf).__name__} {part!r} part at {root!r}: '
                         f'{len(empty)} of {labeled} masks empty')
        if not total:
            return
        where = '; '.join(parts)
        if len(all_empty) == total:
            raise DegenerateDataError(
                f'every one of the {total} labeled training masks is empty '
                f'(no lesion pixel) - {where}. A segmentor cannot learn a '
                'lesion from them. Check that the mask files belong to the '
                'images and mark lesions with non-zero pixels, and that the '
                "split's labeled/train part is not made of normal (lesion-free) "
                'images only (e.g. raise split.labeled or set include_normal='
                'False).')
        if all_empty:
            show = ', '.join(all_empty[:5]) + (', ...' if len(all_empty) > 5
                                               else '')
            print_log(f'TrainDataCheckHook: {len(all_empty)} of {total} labeled '
                      f'training masks have no lesion pixel ({show}) - {where}.',
                      logger='current', level=30)
        else:
            print_log(f'TrainDataCheckHook: all {total} labeled training masks '
                      'contain lesion pixels.', logger='current')
