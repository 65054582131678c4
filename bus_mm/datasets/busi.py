"""BUSI (Al-Dhabyani et al., 2020) in its original distribution layout."""
import os
import os.path as osp
import re
from typing import List

from mmseg.registry import DATASETS

from .bus_base_dataset import BUSBaseDataset

_MASK_RE = re.compile(r'^(?P<stem>.+)_mask(?:_(?P<k>\d+))?\.png$', re.I)


@DATASETS.register_module()
class BUSIDataset(BUSBaseDataset):
    """Breast Ultrasound Images dataset (BUSI), original layout.

    ``<root>/{benign,malignant,normal}/<class> (<n>).png`` beside
    ``<class> (<n>)_mask.png`` and, for images with several lesions,
    ``_mask_1.png``, ``_mask_2.png``...; the ground truth is the union of all
    of them. Sample ids are ``<class>/<class> (<n>)``; the class is the
    stratum of splits. Other files and folders under the root are ignored.

    Args:
        include_normal (bool): Keep the lesion-free ``normal`` images (empty
            masks). Most papers exclude them (TaiChiNet Table IV reports both).
            Defaults to False.
        **kwargs: See :class:`BUSBaseDataset`.
    """
    CATEGORIES = ('benign', 'malignant', 'normal')
    LAYOUT = ('<root>/{benign,malignant,normal}/<class> (<n>).png with '
              '<class> (<n>)_mask.png (and _mask_1.png... for extra lesions)')

    def __init__(self, include_normal: bool = False, **kwargs) -> None:
        self.include_normal = include_normal
        super().__init__(**kwargs)

    def scan(self) -> List[dict]:
        cats = [c for c in self.CATEGORIES
                if osp.isdir(osp.join(self.data_root, c))]
        if not cats:
            raise FileNotFoundError(
                f'BUSIDataset: no benign/, malignant/ or normal/ folder under '
                f'{self.data_root!r}. Expected layout: {self.LAYOUT}')
        if not self.include_normal:
            cats = [c for c in cats if c != 'normal']
        records = []
        for cat in cats:
            folder = osp.join(self.data_root, cat)
            names = sorted(os.listdir(folder))
            masks = {}
            for n in names:
                m = _MASK_RE.match(n)
                if m:
                    masks.setdefault(m.group('stem'), []).append(
                        (int(m.group('k') or -1), n))
            for n in names:
                stem, ext = osp.splitext(n)
                if ext.lower() != '.png' or _MASK_RE.match(n):
                    continue
                found = sorted(masks.get(stem, []))
                if not found:
                    raise FileNotFoundError(
                        f'BUSIDataset: image {osp.join(folder, n)!r} has no '
                        f'mask; the BUSI layout expects {stem + "_mask.png"!r} '
                        'beside it. Add the mask or move the image out of '
                        'the dataset folder.')
                records.append(
                    dict(sample_id=f'{cat}/{stem}',
                         img_path=osp.join(folder, n),
                         mask_paths=[osp.join(folder, f) for _, f in found],
                         category=cat))
        return records
