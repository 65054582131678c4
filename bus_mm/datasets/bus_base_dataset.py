"""Common base of the BUS datasets: binary classes, split files, labeled flags."""
import os.path as osp
from typing import List, Optional, Union

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .splits import build_split

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


@DATASETS.register_module()
class BUSBaseDataset(BaseSegDataset):
    """Base class of the breast-ultrasound datasets.

    Subclasses only implement :meth:`scan`, which lists the samples found under
    ``data_root``; this class applies the split and builds mmseg data infos.
    Every data info carries ``img_path``, ``seg_map_path`` (the first mask),
    ``mask_paths`` (all masks of the image, whose union is the ground truth),
    ``sample_id`` (a path-like id relative to the root, used by split files and
    curriculum masks), ``category`` and ``labeled``.

    Args:
        data_root (str): Dataset root.
        split (str | dict, optional): A split JSON path or a split spec
            (see :func:`bus_mm.datasets.splits.build_split`). None uses every
            sample.
        split_part (str): Which part to load: 'train', 'val', 'test',
            'labeled', 'unlabeled' or 'all'.
        missing_root_hint (str, optional): Extra advice appended to the error
            raised when ``data_root`` does not exist (e.g. which config to use
            without that data set).
        audit_masks (bool): For ``split_part='unlabeled'``: keep each
            image's mask paths as ``audit_mask_paths`` so ASSGAN's gate audit
            can measure the true quality of its pseudo-labels. The masks
            never become ``gt_sem_seg`` and reach no loss. Every unlabeled
            image then needs a mask. Defaults to False.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`
            (``pipeline``, ``test_mode``, ``serialize_data``...).
    """
    METAINFO = dict(classes=('background', 'lesion'),
                    palette=[[0, 0, 0], [255, 64, 64]])
    LAYOUT = ''

    def __init__(self,
                 data_root: str,
                 split: Union[None, str, dict] = None,
                 split_part: str = 'all',
                 missing_root_hint: Optional[str] = None,
                 audit_masks: bool = False,
                 **kwargs) -> None:
        parts = ('all', 'train', 'val', 'test', 'labeled', 'unlabeled')
        if split_part not in parts:
            raise ValueError(f'split_part must be one of {parts}, got '
                             f'{split_part!r}')
        if split_part != 'all' and split is None:
            raise ValueError(f"split_part={split_part!r} needs a `split` (a "
                             "split JSON path or a spec dict)")
        self.split_spec = split
        self.split_part = split_part
        self.split_dict: Optional[dict] = None
        self.missing_root_hint = missing_root_hint
        if audit_masks and split_part != 'unlabeled':
            raise ValueError(
                "audit_masks=True applies to split_part='unlabeled' only "
                f'(got {split_part!r}); labeled parts use their masks anyway.')
        self.audit_masks = bool(audit_masks)
        kwargs.setdefault('reduce_zero_label', False)
        super().__init__(data_root=data_root, **kwargs)

    def scan(self) -> List[dict]:
        """List the samples under ``self.data_root``.

        Returns:
            list[dict]: one dict per image with ``sample_id``, ``img_path``,
            ``mask_paths`` (may be empty for images without a mask, which can
            only be used as unlabeled data) and ``category``.
        """
        raise NotImplementedError

    def _check_root(self) -> None:
        if not self.data_root or not osp.isdir(self.data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data root {self.data_root!r} does not '
                f'exist. Expected layout: {self.LAYOUT}.'
                + (f' {self.missing_root_hint}' if self.missing_root_hint
                   else ''))

    def load_data_list(self) -> List[dict]:
        """Scan the root, apply the split and return mmseg data infos."""
        self._check_root()
        records = self.scan()
        if not records:
            raise FileNotFoundError(
                f'{type(self).__name__}: no images found under '
                f'{self.data_root!r}. Expected layout: {self.LAYOUT}')
        with_mask = [r for r in records if r['mask_paths']]
        mask_only = {r['sample_id'] for r in records if not r['mask_paths']}
        self.split_dict = build_split(self.split_spec,
                                      [r['sample_id'] for r in with_mask],
                                      [r['category'] for r in with_mask])
        if self.split_dict is not None and mask_only:
            self.split_dict['unlabeled'] = sorted(
                set(self.split_dict['unlabeled']) | mask_only)
        if self.split_part == 'all':
            keep = {r['sample_id'] for r in records}
        else:
            keep = set(self.split_dict[self.split_part])
        if not keep:
            raise ValueError(
                f'{type(self).__name__}: split part {self.split_part!r} is '
                f'empty for root {self.data_root!r} (split {self.split_spec!r}). '
                "For k-fold splits with val=0 evaluate on split_part='test'.")
        labeled_ids = (set(self.split_dict['labeled'])
                       if self.split_dict is not None else set())
        data_list = []
        for r in records:
            if r['sample_id'] not in keep:
                continue
            if not r['mask_paths'] or self.split_part == 'unlabeled':
                labeled = False
            elif self.split_part in ('train', 'all') and labeled_ids:
                labeled = r['sample_id'] in labeled_ids
            else:
                labeled = True
            masks = list(r['mask_paths']) if labeled else []
            if self.audit_masks and not r['mask_paths']:
                raise FileNotFoundError(
                    f'{type(self).__name__}: audit_masks=True but unlabeled '
                    f'image {r["img_path"]!r} has no mask; the gate audit '
                    'needs a mask for every unlabeled image. Drop '
                    'audit_masks (or --audit-gate) for this data.')
            data_list.append(
                dict(img_path=r['img_path'],
                     seg_map_path=masks[0] if masks else None,
                     mask_paths=masks,
                     sample_id=r['sample_id'],
                     category=r['category'],
                     labeled=labeled,
                     audit_mask_paths=(list(r['mask_paths'])
                                       if self.audit_masks else []),
                     label_map=self.label_map,
                     reduce_zero_label=self.reduce_zero_label,
                     seg_fields=[]))
        return data_list
