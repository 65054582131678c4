"""Write prediction masks and GT/prediction contour overlays during val/test."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...datasets.mask_io import read_image
from ...evaluation.bus_metric import confusion_counts, ratios_from_counts
from ...visualization.overlay import draw_overlay


def _safe_name(sample) -> str:
    meta = sample.metainfo
    sid = meta.get('sample_id') or osp.splitext(osp.basename(meta['img_path']))[0]
    return str(sid).replace('/', '__')


@HOOKS.register_module()
class BUSOverlayHook(Hook):
    """Save, for every test (or val) image, an overlay PNG and/or the mask.

    Overlays show the original image with the ground truth in green and the
    prediction in red, captioned with the image's Dice. Masks are 0/255 PNGs
    at the original image size. Files are named after the sample id
    (``benign/benign (3)`` -> ``benign__benign (3).png``).

    Args:
        show_dir (str, optional): Folder for overlays (relative to the current
            directory, like mmseg's ``--show-dir``).
        mask_dir (str, optional): Folder for predicted masks.
        max_images (int, optional): Stop writing after this many images.
        on_val (bool): Also write during validation. Defaults to False.
    """
    priority = 'LOW'

    def __init__(self, show_dir: Optional[str] = None,
                 mask_dir: Optional[str] = None,
                 max_images: Optional[int] = None,
                 on_val: bool = False) -> None:
        self.show_dir, self.mask_dir = show_dir, mask_dir
        self.max_images = max_images
        self.on_val = on_val
        self._count = 0

    def _write(self, outputs: Sequence) -> None:
        for sample in outputs:
            if self.max_images is not None and self._count >= self.max_images:
                return
            self._count += 1
            name = _safe_name(sample) + '.png'
            # a binary head under bf16 autocast gives a bf16 mask
            pred = sample.pred_sem_seg.data[0].cpu().to(
                torch.uint8).numpy()
            if self.mask_dir:
                os.makedirs(self.mask_dir, exist_ok=True)
                cv2.imwrite(osp.join(self.mask_dir, name), pred * 255)
            if self.show_dir:
                os.makedirs(self.show_dir, exist_ok=True)
                img = read_image(sample.metainfo['img_path'])
                gt = None
                text = None
                if 'gt_sem_seg' in sample:
                    gt = sample.gt_sem_seg.data[0].cpu().numpy()
                    if gt.shape != pred.shape:
                        gt = cv2.resize(gt.astype(np.uint8), pred.shape[::-1],
                                        interpolation=cv2.INTER_NEAREST)
                    dice = ratios_from_counts(*confusion_counts(pred, gt))['Dice']
                    text = f'Dice {dice:.3f}'
                if img.shape[:2] != pred.shape:
                    img = cv2.resize(img, pred.shape[::-1])
                cv2.imwrite(osp.join(self.show_dir, name),
                            draw_overlay(img, pred, gt, text))

    def before_test(self, runner) -> None:
        self._count = 0

    def before_val(self, runner) -> None:
        self._count = 0

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None) -> None:
        self._write(outputs)

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None) -> None:
        if self.on_val:
            self._write(outputs)
