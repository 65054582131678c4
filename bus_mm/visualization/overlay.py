"""Contour overlays: an ultrasound image with ground-truth and predicted outlines."""
from typing import Optional

import cv2
import numpy as np

GT_COLOR = (0, 255, 0)      # green, BGR
PRED_COLOR = (0, 0, 255)    # red, BGR


def draw_contours(img: np.ndarray, mask: np.ndarray, color, thickness: int = 2):
    """Draw the outline of a 0/1 mask on a BGR image in place."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(img, contours, -1, color, thickness)
    return img


def draw_overlay(img: np.ndarray,
                 pred: Optional[np.ndarray] = None,
                 gt: Optional[np.ndarray] = None,
                 text: Optional[str] = None,
                 thickness: Optional[int] = None) -> np.ndarray:
    """Return a BGR copy of ``img`` with GT (green) and prediction (red) contours.

    Args:
        img (np.ndarray): HxW grey or HxWx3 BGR uint8 image.
        pred (np.ndarray, optional): HxW 0/1 predicted mask.
        gt (np.ndarray, optional): HxW 0/1 ground-truth mask.
        text (str, optional): A caption written in the top-left corner.
        thickness (int, optional): Line width; scales with the image if None.
    """
    out = img.copy() if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    out = np.ascontiguousarray(out.astype(np.uint8))
    t = thickness or max(1, round(max(out.shape[:2]) / 250))
    if gt is not None:
        draw_contours(out, gt, GT_COLOR, t)
    if pred is not None:
        draw_contours(out, pred, PRED_COLOR, t)
    if text:
        scale = max(0.4, max(out.shape[:2]) / 700)
        cv2.putText(out, text, (5, int(20 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, (255, 255, 255), max(1, t // 2), cv2.LINE_AA)
    return out
