# Copyright (c) bus_mm contributors. All rights reserved.
"""Random gamma (intensity) augmentation of TaiChiNet (Sec. V-B)."""
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms.base import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmseg.registry import TRANSFORMS


def _check_prob(prob: float) -> float:
    """Validate a transform probability, raising ``ValueError`` if bad."""
    if not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
        raise ValueError(f'`prob` must be a number in [0, 1], got {prob!r}')
    return float(prob)


@TRANSFORMS.register_module()
class RandomGamma(BaseTransform):
    """Randomly apply a gamma curve to the image intensities.

    With probability ``prob`` a gamma value ``g`` is drawn uniformly from
    ``gamma_range`` and every pixel is mapped to
    ``out = 255 * (in / 255) ** g``. ``g > 1`` darkens mid-greys, ``g < 1``
    brightens them; 0 and 255 are fixed points. TaiChiNet (Sec. V-B) uses
    ``gamma in [0.5, 1.5]``.

    Unlike mmseg's :class:`AdjustGamma` (a fixed ``1 / gamma`` curve applied to
    every image, usually at test time) this is a random train-time
    augmentation that keeps the image dtype: uint8 images go through a
    256-entry lookup table, float images are assumed to be in [0, 255]
    (values outside are clipped first) and stay float. Segmentation maps are
    not touched.

    Required Keys:

    - img

    Modified Keys:

    - img

    Args:
        prob (float): Probability of applying the gamma curve. Default: 0.5.
        gamma_range (Sequence[float]): ``(low, high)`` range the gamma value
            is drawn from uniformly. Both must be > 0 and ``low <= high``.
            Default: (0.5, 1.5).
    """

    def __init__(self,
                 prob: float = 0.5,
                 gamma_range: Sequence[float] = (0.5, 1.5)) -> None:
        self.prob = _check_prob(prob)
        if (not isinstance(gamma_range, (tuple, list))
                or len(gamma_range) != 2 or
                not all(isinstance(g, (int, float)) for g in gamma_range)):
            raise ValueError('`gamma_range` must be a (low, high) pair of '
                             f'numbers, got {gamma_range!r}')
        low, high = (float(g) for g in gamma_range)
        if low <= 0 or high <= 0:
            raise ValueError('`gamma_range` values must be > 0 (gamma <= 0 is '
                             f'not a valid gamma curve), got {gamma_range!r}')
        if low > high:
            raise ValueError('`gamma_range` must be (low, high) with low <= '
                             f'high, got {gamma_range!r}')
        self.gamma_range: Tuple[float, float] = (low, high)

    @cache_randomness
    def _random_gamma(self) -> Tuple[bool, float]:
        """Draw whether to apply the transform and the gamma value."""
        apply = np.random.rand() < self.prob
        gamma = np.random.uniform(*self.gamma_range)
        return apply, gamma

    @staticmethod
    def _adjust_gamma(img: np.ndarray, gamma: float) -> np.ndarray:
        """Apply ``255 * (img / 255) ** gamma`` keeping ``img.dtype``."""
        if img.dtype == np.uint8:
            table = 255.0 * (np.arange(256) / 255.0)**gamma
            table = np.clip(np.round(table), 0, 255).astype(np.uint8)
            return table[img]
        if np.issubdtype(img.dtype, np.floating):
            img01 = np.clip(img, 0, 255) / 255.0
            return (255.0 * img01**gamma).astype(img.dtype)
        raise TypeError('RandomGamma supports uint8 or float images (0-255), '
                        f'got dtype {img.dtype}; convert the image first.')

    def transform(self, results: dict) -> dict:
        """Call function to apply a random gamma curve to the image.

        Args:
            results (dict): Result dict from loading pipeline.

        Returns:
            dict: Result dict with the gamma-adjusted image.
        """
        apply, gamma = self._random_gamma()
        if apply:
            results['img'] = self._adjust_gamma(results['img'], gamma)
        return results

    def __repr__(self) -> str:
        repr_str = self.__class__.__name__
        repr_str += f'(prob={self.prob}, gamma_range={self.gamma_range})'
        return repr_str
