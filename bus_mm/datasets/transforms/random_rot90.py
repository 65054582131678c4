# Copyright (c) bus_mm contributors. All rights reserved.
"""Exact 90/180/270 degree rotation augmentation of TaiChiNet (Sec. V-B)."""
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms.base import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRot90(BaseTransform):
    """Randomly rotate the image and all segmentation maps by k * 90 degrees.

    With probability ``prob`` an angle is drawn uniformly from ``angles`` and
    the image and every key in ``results['seg_fields']`` (``gt_seg_map`` and
    any extra maps such as ``gt_edge_map``, ``gt_easy_part``,
    ``gt_hard_part`` listed there) are rotated with :func:`numpy.rot90`:
    exact, lossless, no interpolation or padding. Following
    :func:`mmcv.imrotate`, positive angles rotate clockwise. Rotating a
    non-square image by 90 or 270 degrees swaps height and width, so
    ``img_shape`` is updated. TaiChiNet (Sec. V-B) uses 90/180/270 degrees;
    its small [-10, 10] degree rotation is mmseg's ``RandomRotate``.

    Unlike mmseg's ``RandomRotFlip`` this neither flips nor mixes in an
    interpolated rotation, and the angle set is configurable.

    Required Keys:

    - img
    - seg_fields (optional; every listed key is rotated)

    Modified Keys:

    - img
    - img_shape
    - every key in ``seg_fields`` (e.g. gt_seg_map)

    Args:
        prob (float): Probability of applying a rotation. Default: 0.5.
        angles (Sequence[int]): Candidate angles in degrees, each a multiple
            of 90 (negative allowed), drawn uniformly. Default:
            (90, 180, 270).
    """

    def __init__(self,
                 prob: float = 0.5,
                 angles: Sequence[int] = (90, 180, 270)) -> None:
        if not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
            raise ValueError(
                f'`prob` must be a number in [0, 1], got {prob!r}')
        self.prob = float(prob)
        if isinstance(angles, (int, float)):
            angles = (angles, )
        if not isinstance(angles, (tuple, list)) or len(angles) == 0:
            raise ValueError('`angles` must be a non-empty sequence of '
                             f'multiples of 90, got {angles!r}')
        for angle in angles:
            if (not isinstance(angle, (int, float))
                    or isinstance(angle, bool) or angle % 90 != 0):
                raise ValueError(
                    '`angles` must only contain multiples of 90 degrees '
                    f'(use mmseg RandomRotate for others), got {angles!r}')
        self.angles: Tuple[int, ...] = tuple(int(a) for a in angles)

    @cache_randomness
    def _random_angle(self) -> Tuple[bool, int]:
        """Draw whether to rotate and the angle."""
        apply = np.random.rand() < self.prob
        angle = self.angles[np.random.randint(len(self.angles))]
        return apply, angle

    @staticmethod
    def _rot90(img: np.ndarray, angle: int) -> np.ndarray:
        """Rotate the first two axes clockwise by ``angle`` degrees."""
        # np.rot90 with positive k is counter-clockwise: negate for
        # mmcv's clockwise convention; copy to drop the negative strides.
        return np.ascontiguousarray(np.rot90(img, k=-(angle // 90),
                                             axes=(0, 1)))

    def transform(self, results: dict) -> dict:
        """Call function to rotate the image and segmentation maps.

        Args:
            results (dict): Result dict from loading pipeline.

        Returns:
            dict: Rotated results, with ``img_shape`` updated.
        """
        apply, angle = self._random_angle()
        if not apply:
            return results
        results['img'] = self._rot90(results['img'], angle)
        for key in results.get('seg_fields', []):
            results[key] = self._rot90(results[key], angle)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        repr_str = self.__class__.__name__
        repr_str += f'(prob={self.prob}, angles={self.angles})'
        return repr_str
