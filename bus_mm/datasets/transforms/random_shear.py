# Copyright (c) bus_mm contributors. All rights reserved.
"""Random affine shear augmentation of TaiChiNet (Sec. V-B)."""
from numbers import Number
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.image.geometric import cv2_interp_codes
from mmcv.transforms.base import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmseg.registry import TRANSFORMS

# dtypes cv2.warpAffine accepts directly.
_CV2_DTYPES = (np.uint8, np.uint16, np.int16, np.float32, np.float64)


@TRANSFORMS.register_module()
class RandomShear(BaseTransform):
    """Randomly shear the image and all segmentation maps.

    With probability ``prob`` a shear magnitude ``m`` is drawn uniformly from
    ``shear_range`` and :func:`mmcv.imshear` maps pixel ``(x, y)`` to
    ``(x + m * y, y)`` (``'horizontal'``) or ``(x, y + m * x)``
    (``'vertical'``); ``m = tan(shear angle)``, so ``m = 0.2`` is about 11
    degrees. The shear is about the image centre (unlike
    :func:`mmcv.imshear`, which pivots at the top-left corner and would push
    the bottom of a 224 px image ~90 px out of frame at ``m = 0.4``); the
    output keeps the input size (content sheared out of the frame is cropped,
    the uncovered area is filled with the pad values). ``'both'`` draws one
    magnitude per axis and applies the horizontal then the vertical shear.
    The image uses ``interpolation``; every key in ``results['seg_fields']``
    gets exactly the same shear with ``'nearest'`` interpolation, so masks
    keep their label values and stay aligned with the image.

    Masks are padded with ``seg_pad_val=0`` (background) by default rather
    than mmseg's usual 255 (ignore): ultrasound outside the field of view is
    black, i.e. genuinely lesion-free, and 255 regions would silently drop out
    of the loss.

    **TaiChiNet's "shear rate in [0.6, 1.3]".** The paper gives no formula.
    A shear factor of 0.6-1.3 used directly as ``m`` would mean 31-52 degree
    shears, implausible for medical data and never identity, whereas the range
    straddles 1, like a scale factor. We therefore read the rate ``r`` as the
    scale-like coefficient of the shear matrix, ``[[1, r - 1], [0, 1]]``-style:
    ``r = 1`` is the identity and the magnitude is ``m = r - 1``, giving
    ``m in [-0.4, 0.3]`` (about -22 to +17 degrees). Pass
    ``rate_range=(0.6, 1.3)`` to use this reading; it replaces
    ``shear_range`` by ``(rate_low - 1, rate_high - 1)``. ``shear_range``
    (the magnitude itself, mmcv/mmdet convention) stays the primary API.

    Required Keys:

    - img
    - seg_fields (optional; every listed key is sheared)

    Modified Keys:

    - img
    - every key in ``seg_fields`` (e.g. gt_seg_map)

    Args:
        prob (float): Probability of applying the shear. Default: 0.5.
        shear_range (Sequence[float]): ``(low, high)`` range of the shear
            magnitude ``m`` (tangent of the shear angle), each in [-1, 1].
            Default: (-0.2, 0.2).
        direction (str): ``'horizontal'``, ``'vertical'`` or ``'both'``.
            Default: 'horizontal'.
        img_pad_val (int | float | tuple): Fill value of the image outside
            the sheared content; a scalar or one value per channel.
            Default: 0.
        seg_pad_val (int): Fill value of the segmentation maps. Default: 0
            (background).
        interpolation (str): Image interpolation, as in :func:`mmcv.imshear`
            (``'nearest'``, ``'bilinear'``, ``'bicubic'``, ``'area'``,
            ``'lanczos'``). Default: 'bilinear'.
        rate_range (Sequence[float], optional): TaiChiNet's shear "rate"
            range, read as ``m = rate - 1`` (see above). Each rate must lie
            in [0, 2]. If given, ``shear_range`` must be left at its
            default. Default: None.
    """

    _DEFAULT_SHEAR_RANGE = (-0.2, 0.2)
    _DIRECTIONS = ('horizontal', 'vertical', 'both')
    _INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')

    def __init__(self,
                 prob: float = 0.5,
                 shear_range: Sequence[float] = (-0.2, 0.2),
                 direction: str = 'horizontal',
                 img_pad_val: Union[Number, Sequence[Number]] = 0,
                 seg_pad_val: int = 0,
                 interpolation: str = 'bilinear',
                 rate_range: Optional[Sequence[float]] = None) -> None:
        if not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
            raise ValueError(
                f'`prob` must be a number in [0, 1], got {prob!r}')
        self.prob = float(prob)
        shear_range = self._check_pair('shear_range', shear_range)
        if rate_range is not None:
            if shear_range != self._DEFAULT_SHEAR_RANGE:
                raise ValueError(
                    'Give either `shear_range` (shear magnitudes) or '
                    '`rate_range` (TaiChiNet rates, magnitude = rate - 1), '
                    f'not both; got shear_range={shear_range!r} and '
                    f'rate_range={rate_range!r}')
            rate_range = self._check_pair('rate_range', rate_range)
            if not all(0 <= r <= 2 for r in rate_range):
                raise ValueError('`rate_range` values must lie in [0, 2] '
                                 '(magnitude = rate - 1 in [-1, 1]), got '
                                 f'{rate_range!r}')
            shear_range = (rate_range[0] - 1., rate_range[1] - 1.)
        if not all(-1 <= m <= 1 for m in shear_range):
            raise ValueError('`shear_range` values must lie in [-1, 1] '
                             '(|magnitude| = 1 is a 45 degree shear), got '
                             f'{shear_range!r}')
        self.shear_range: Tuple[float, float] = shear_range
        self.rate_range = rate_range
        if direction not in self._DIRECTIONS:
            raise ValueError(f'`direction` must be one of {self._DIRECTIONS}, '
                             f'got {direction!r}')
        self.direction = direction
        if interpolation not in self._INTERPOLATIONS:
            raise ValueError('`interpolation` must be one of '
                             f'{self._INTERPOLATIONS}, got {interpolation!r}')
        self.interpolation = interpolation
        if not (isinstance(img_pad_val, (int, float)) or
                (isinstance(img_pad_val, (tuple, list)) and all(
                    isinstance(v, (int, float)) for v in img_pad_val))):
            raise ValueError('`img_pad_val` must be a number or a tuple of '
                             f'numbers (one per channel), got {img_pad_val!r}')
        self.img_pad_val = img_pad_val
        if not isinstance(seg_pad_val, int):
            raise ValueError('`seg_pad_val` must be an int label (0 = '
                             f'background, 255 = ignore), got {seg_pad_val!r}')
        self.seg_pad_val = seg_pad_val

    @staticmethod
    def _check_pair(name: str, value) -> Tuple[float, float]:
        """Validate a ``(low, high)`` pair of numbers."""
        if (not isinstance(value, (tuple, list)) or len(value) != 2
                or not all(isinstance(v, (int, float)) for v in value)):
            raise ValueError(f'`{name}` must be a (low, high) pair of '
                             f'numbers, got {value!r}')
        low, high = float(value[0]), float(value[1])
        if low > high:
            raise ValueError(f'`{name}` must be (low, high) with low <= '
                             f'high, got {value!r}')
        return low, high

    @cache_randomness
    def _random_shear(self) -> Tuple[bool, List[Tuple[str, float]]]:
        """Draw whether to shear and the (direction, magnitude) steps."""
        apply = np.random.rand() < self.prob
        directions = (['horizontal', 'vertical']
                      if self.direction == 'both' else [self.direction])
        steps = [(d, float(np.random.uniform(*self.shear_range)))
                 for d in directions]
        return apply, steps

    @staticmethod
    def _border(pad_val, img: np.ndarray) -> tuple:
        """Border value as the per-channel tuple mmcv.imshear expects."""
        channels = 1 if img.ndim == 2 else img.shape[2]
        if isinstance(pad_val, (tuple, list)):
            if len(pad_val) != channels:
                raise ValueError(
                    f'`img_pad_val` has {len(pad_val)} values but the image '
                    f'has {channels} channels; give a scalar or one value '
                    'per channel.')
            return tuple(pad_val)
        return tuple([pad_val] * channels)

    @classmethod
    def _shear(cls, img: np.ndarray, magnitude: float, direction: str,
               pad_val, interpolation: str) -> np.ndarray:
        """mmcv.imshear that keeps the dtype and a trailing channel axis."""
        dtype = img.dtype
        work = img
        if dtype.type not in _CV2_DTYPES:
            # cv2 cannot warp e.g. int64 or bool masks. float64 holds them
            # exactly and 'nearest' interpolation creates no new values.
            work = img.astype(np.float64)
        h, w = work.shape[:2]
        if direction == 'horizontal':
            matrix = np.float32([[1, magnitude, -magnitude * (h - 1) / 2],
                                 [0, 1, 0]])
        else:
            matrix = np.float32([[1, 0, 0],
                                 [magnitude, 1, -magnitude * (w - 1) / 2]])
        border = cls._border(pad_val, img)
        out = cv2.warpAffine(
            work, matrix, (w, h),
            borderValue=tuple(border[:3]) if len(border) > 3 else border,
            flags=cv2_interp_codes[interpolation])
        if out.ndim == 2 and img.ndim == 3:
            out = out[..., None]  # cv2 drops a single channel axis
        return out.astype(dtype, copy=False)

    def transform(self, results: dict) -> dict:
        """Call function to shear the image and segmentation maps.

        Args:
            results (dict): Result dict from loading pipeline.

        Returns:
            dict: Sheared results.
        """
        apply, steps = self._random_shear()
        if not apply:
            return results
        for direction, magnitude in steps:
            results['img'] = self._shear(results['img'], magnitude, direction,
                                         self.img_pad_val, self.interpolation)
            for key in results.get('seg_fields', []):
                results[key] = self._shear(results[key], magnitude, direction,
                                           self.seg_pad_val, 'nearest')
        return results

    def __repr__(self) -> str:
        repr_str = self.__class__.__name__
        repr_str += f'(prob={self.prob}, ' \
                    f'shear_range={self.shear_range}, ' \
                    f'direction={self.direction!r}, ' \
                    f'img_pad_val={self.img_pad_val}, ' \
                    f'seg_pad_val={self.seg_pad_val}, ' \
                    f'interpolation={self.interpolation!r}, ' \
                    f'rate_range={self.rate_range})'
        return repr_str
