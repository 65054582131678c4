"""Dataset B (UDIAT Diagnostic Centre, Yap et al. 2018)."""
import os
import os.path as osp
from typing import List

from mmseg.registry import DATASETS

from .bus_base_dataset import IMG_EXTENSIONS, BUSBaseDataset


@DATASETS.register_module()
class UDIATDataset(BUSBaseDataset):
    """Dataset B: ``<root>/original/000001.png`` + ``<root>/GT/000001.png``.

    Images and masks are matched by file stem; every image must have a mask.
    Sample ids are the stems. Dataset B has no class folders, so splits are not
    stratified by class.
    """
    LAYOUT = '<root>/original/<id>.png with <root>/GT/<id>.png'

    def scan(self) -> List[dict]:
        img_dir = osp.join(self.data_root, 'original')
        gt_dir = osp.join(self.data_root, 'GT')
        for d in (img_dir, gt_dir):
            if not osp.isdir(d):
                raise FileNotFoundError(
                    f'UDIATDataset: folder {d!r} is missing. Expected layout: '
                    f'{self.LAYOUT}')
        gts = {osp.splitext(f)[0]: f for f in os.listdir(gt_dir)
               if f.lower().endswith(IMG_EXTENSIONS)}
        records = []
        for f in sorted(os.listdir(img_dir)):
            stem, ext = osp.splitext(f)
            if ext.lower() not in IMG_EXTENSIONS:
                continue
            if stem not in gts:
                raise FileNotFoundError(
                    f'UDIATDataset: image {osp.join(img_dir, f)!r} has no '
                    f'ground truth {osp.join(gt_dir, stem + ext)!r}')
            records.append(
                dict(sample_id=stem, img_path=osp.join(img_dir, f),
                     mask_paths=[osp.join(gt_dir, gts[stem])],
                     category='lesion'))
        return records
