"""Loading BUS images and (union, binarized) masks with errors that name files."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..mask_io import read_image, read_union_mask


@TRANSFORMS.register_module()
class LoadBUSImageFromFile(BaseTransform):
    """Load an ultrasound image; a corrupt or truncated file raises naming it.

    Required keys: ``img_path``. Added keys: ``img`` (HxWx3 BGR uint8, or
    float32), ``img_shape``, ``ori_shape``.

    Args:
        to_float32 (bool): Convert the image to float32. Defaults to False.
    """

    def __init__(self, to_float32: bool = False) -> None:
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        img = read_image(results['img_path'], color=True)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(to_float32={self.to_float32})'


@TRANSFORMS.register_module()
class LoadBUSAnnotations(BaseTransform):
    """Load the ground truth of a BUS image as a 0/1 ``gt_seg_map``.

    The mask is the union of every file in ``mask_paths`` (BUSI's ``_mask``,
    ``_mask_1``...), binarized by :func:`bus_mm.datasets.mask_io.binarize_mask`
    whatever its encoding, and must match the image size. Unlabeled samples
    (``labeled=False``) get no ground truth, so nothing downstream can score or
    train on it; with ``audit_mask_paths`` (the dataset's ``audit_masks``)
    their mask is loaded as ``gt_audit_map`` for ASSGAN's gate audit only.

    Required keys: ``mask_paths`` or ``seg_map_path``; ``ori_shape`` when an
    image was loaded before (for the size check). Added keys: ``gt_seg_map``,
    ``seg_fields``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        paths = results.get('mask_paths') or (
            [results['seg_map_path']] if results.get('seg_map_path') else [])
        if not results.get('labeled', True):
            audit = results.get('audit_mask_paths')
            if audit:  # gate audit only: never gt_seg_map, never a loss
                results['gt_audit_map'] = read_union_mask(
                    audit, img_path=results.get('img_path'),
                    img_shape=results.get('ori_shape'))
                results.setdefault('seg_fields', []).append('gt_audit_map')
            return results
        if not paths:
            raise FileNotFoundError(
                f'no mask for labeled image {results.get("img_path")!r}: add its '
                'mask file, or use it as unlabeled data only')
        shape = results.get('ori_shape')
        results['gt_seg_map'] = read_union_mask(
            paths, img_path=results.get('img_path'), img_shape=shape)
        results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
