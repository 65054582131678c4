"""A plain image/mask folder pair: SDBUI, SPDBUI or any private BUS data set."""
import os
import os.path as osp
from typing import List

from mmseg.registry import DATASETS

from .bus_base_dataset import IMG_EXTENSIONS, BUSBaseDataset


@DATASETS.register_module()
class BUSFolderDataset(BUSBaseDataset):
    """``<root>/images/*`` + ``<root>/masks/*`` matched by file stem.

    A mask may carry a suffix (``mask_suffix='_mask'`` matches
    ``images/a.png`` with ``masks/a_mask.png``) and any image extension.

    Args:
        img_dir (str): Image sub-folder. Defaults to 'images'.
        mask_dir (str): Mask sub-folder. Defaults to 'masks'.
        mask_suffix (str): Text between the stem and the extension of a mask.
        allow_missing_masks (bool): Accept images without a mask; they are only
            ever used as unlabeled data (semi-supervised training). When False
            (default) a missing mask is an error naming the image.
        **kwargs: See :class:`BUSBaseDataset`.
    """
    LAYOUT = '<root>/images/<stem>.<ext> with <root>/masks/<stem><mask_suffix>.<ext>'

    def __init__(self, img_dir: str = 'images', mask_dir: str = 'masks',
                 mask_suffix: str = '', allow_missing_masks: bool = False,
                 **kwargs) -> None:
        self.img_dir, self.mask_dir = img_dir, mask_dir
        self.mask_suffix = mask_suffix
        self.allow_missing_masks = allow_missing_masks
        super().__init__(**kwargs)

    def scan(self) -> List[dict]:
        img_dir = osp.join(self.data_root, self.img_dir)
        mask_dir = osp.join(self.data_root, self.mask_dir)
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'BUSFolderDataset: folder {img_dir!r} is missing. Expected '
                f'layout: {self.LAYOUT}')
        if not osp.isdir(mask_dir) and not self.allow_missing_masks:
            raise FileNotFoundError(
                f'BUSFolderDataset: folder {mask_dir!r} is missing. Expected '
                f'layout: {self.LAYOUT} (or set allow_missing_masks=True for '
                'unlabeled-only images)')
        masks = {}
        if osp.isdir(mask_dir):
            for f in os.listdir(mask_dir):
                stem, ext = osp.splitext(f)
                if ext.lower() in IMG_EXTENSIONS and stem.endswith(
                        self.mask_suffix):
                    masks[stem[:len(stem) - len(self.mask_suffix)]] = f
        records = []
        for f in sorted(os.listdir(img_dir)):
            stem, ext = osp.splitext(f)
            if ext.lower() not in IMG_EXTENSIONS:
                continue
            if stem not in masks and not self.allow_missing_masks:
                raise FileNotFoundError(
                    f'BUSFolderDataset: image {osp.join(img_dir, f)!r} has no '
                    f'mask {stem + self.mask_suffix}.* in {mask_dir!r}. Add it, '
                    'or set allow_missing_masks=True to use such images as '
                    'unlabeled data only.')
            records.append(
                dict(sample_id=stem, img_path=osp.join(img_dir, f),
                     mask_paths=[osp.join(mask_dir, masks[stem])]
                     if stem in masks else [],
                     category='lesion'))
        return records
