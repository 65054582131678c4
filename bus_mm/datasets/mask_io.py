"""Reading BUS images and masks: the one place where masks are binarized.

Real BUS datasets store lesion masks in many ways: 1-bit PNGs (BUSI), 0/255 grey
PNGs, RGB or RGBA PNGs (BUSI normal cases), anti-aliased grey contours, or
already 0/1 label maps. :func:`binarize_mask` turns any of them into a uint8 0/1
map so that 255 never collides with mmseg's ``ignore_index=255``.
"""
import os.path as osp
from typing import Sequence

import cv2
import numpy as np


def binarize_mask(mask: np.ndarray) -> np.ndarray:
    """Turn a mask in any common encoding into a uint8 0/1 lesion map.

    Rules: colour channels are reduced by their maximum (an RGBA alpha channel
    is dropped first); a mask whose values are all in {0, 1} keeps them
    (``> 0``); any other mask (0/255, anti-aliased grey) is thresholded at
    ``> 127``. Boolean masks map True to 1.

    Args:
        mask (np.ndarray): HxW, HxWx1, HxWx3 or HxWx4 array of any dtype.

    Returns:
        np.ndarray: HxW uint8 array with values in {0, 1}.
    """
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return mask.astype(np.uint8)
    if mask.ndim == 3:
        if mask.shape[2] == 4:
            mask = mask[..., :3]
        mask = mask.max(axis=2)
    if mask.ndim != 2:
        raise ValueError(f'a mask must be 2-D or HxWxC, got shape {mask.shape}')
    if mask.size and mask.max() <= 1:
        return (mask > 0).astype(np.uint8)
    return (mask > 127).astype(np.uint8)


def read_image(path: str, color: bool = True) -> np.ndarray:
    """Read an image with a clear error for missing, corrupt or truncated files.

    Args:
        path (str): Image file.
        color (bool): Return HxWx3 BGR (mmcv's convention) when True, else HxW.

    Returns:
        np.ndarray: uint8 image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image file not found: {path}')
    buf = np.fromfile(path, dtype=np.uint8)
    flag = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
    img = cv2.imdecode(buf, flag) if buf.size else None
    if img is None:
        raise OSError(f'cannot decode image {path!r}: the file is empty, corrupt '
                      'or truncated. Re-export it or remove it (and its mask) '
                      'from the dataset folder.')
    return img


def read_mask(path: str) -> np.ndarray:
    """Read one mask file (any encoding) as a uint8 0/1 map."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'mask file not found: {path}')
    buf = np.fromfile(path, dtype=np.uint8)
    mask = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    if mask is None:
        raise OSError(f'cannot decode mask {path!r}: the file is empty, corrupt '
                      'or truncated.')
    return binarize_mask(mask)


def read_union_mask(paths: Sequence[str], img_path: str = None,
                    img_shape: tuple = None) -> np.ndarray:
    """Read several masks of one image (BUSI ``_mask``, ``_mask_1``...) as their union.

    Args:
        paths (Sequence[str]): Mask files of one image; at least one.
        img_path (str, optional): The image they belong to (named in errors).
        img_shape (tuple, optional): (H, W) the masks must have.

    Returns:
        np.ndarray: HxW uint8 0/1 union of all masks.
    """
    if not paths:
        raise ValueError(f'no mask file given for image {img_path}')
    union = None
    for p in paths:
        m = read_mask(p)
        if img_shape is not None and m.shape != tuple(img_shape[:2]):
            raise ValueError(
                f'mask {p!r} has size {m.shape[1]}x{m.shape[0]} (WxH) but its '
                f'image {img_path!r} is {img_shape[1]}x{img_shape[0]}: masks '
                'must match their image pixel for pixel. Re-export the mask at '
                'the image size.')
        if union is None:
            union = m
        elif m.shape != union.shape:
            raise ValueError(f'masks of one image differ in size: {paths[0]!r} '
                             f'{union.shape} vs {p!r} {m.shape}')
        else:
            union |= m
    return union
