"""Lesion-segmentation metrics as breast-ultrasound (BUS) papers report them.

Definitions follow TaiChiNet (Eqs. 25-29) and ASSGAN (Eqs. 6-8) for the lesion
class, with pixels whose ground truth equals ``ignore_index`` left out:

* IoU (Jaccard)   = TP / (TP + FP + FN)
* Dice            = 2TP / (2TP + FP + FN)
* Acc             = (TP + TN) / (TP + FP + FN + TN)
* Precision       = TP / (TP + FP)
* Sensitivity     = TP / (TP + FN)
* Specificity     = TN / (TN + FP)

Empty rule: when a ratio's denominator is 0 for one image, its
value is 1.0 if the ground truth and the prediction are both empty (no lesion
pixel in either), otherwise 0.0.

Normal (lesion-free) images: when the evaluated set holds images whose ground
truth has no lesion pixel (BUSI with ``include_normal=True``), the six ratios
above average over all images, and :func:`normal_image_figures` adds what the
empty rule hides (TaiChiNet's Table IV, second part, is about false positives
on the normal background):

* ``normal_num_images``: images with an empty ground truth;
* ``normal_num_clean`` / ``normal_clean``: how many of them / which share are
  predicted clean (no lesion pixel);
* ``normal_fp_pixels``: mean false-positive pixels per normal image, counted
  at the size the prediction is scored at (the original image size for
  mmseg's test loop);
* ``normal_fp_fraction``: mean share of a normal image's pixels predicted
  lesion;
* ``lesion_<ratio>`` for the six ratios: the per-image mean over the images
  **with** a lesion only, comparable with runs that exclude normal images.
"""
import csv
import os
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.structures import BaseDataElement
from prettytable import PrettyTable

from mmseg.registry import METRICS

ArrayLike = Union[np.ndarray, torch.Tensor]
Counts = Tuple[int, int, int, int]

#: Names of the six ratios, in the order they are reported.
METRIC_NAMES = ('IoU', 'Dice', 'Acc', 'Precision', 'Sensitivity',
                'Specificity')
COUNT_NAMES = ('tp', 'fp', 'fn', 'tn')


def _as_2d(x: Any, name: str) -> ArrayLike:
    """Return ``x`` as a (H, W) numpy array or torch tensor.

    Leading singleton dimensions (e.g. the channel of a (1, H, W) label map)
    are dropped.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach()
    elif not isinstance(x, np.ndarray):
        x = np.asarray(x)
    while x.ndim > 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2:
        raise ValueError(
            f'{name} must be a label map of shape (H, W) or (1, H, W), got '
            f'shape {tuple(x.shape)}. Pass class indices (e.g. '
            '`pred_sem_seg.data`), not per-class logits.')
    return x


def confusion_counts(pred: ArrayLike,
                     gt: ArrayLike,
                     ignore_index: Optional[int] = 255,
                     lesion_index: int = 1) -> Counts:
    """Count the lesion-class confusion matrix of one image.

    Args:
        pred (np.ndarray | torch.Tensor): Predicted label map, (H, W) or
            (1, H, W). Pixels equal to ``lesion_index`` are lesion, every
            other value is background.
        gt (np.ndarray | torch.Tensor): Ground-truth label map of the same
            spatial size.
        ignore_index (int, optional): Ground-truth value of pixels that are
            excluded from all counts (padding). None keeps every pixel.
            Defaults to 255.
        lesion_index (int): Label of the lesion class. Defaults to 1.

    Returns:
        tuple[int, int, int, int]: ``(tp, fp, fn, tn)`` as Python ints.
    """
    pred = _as_2d(pred, 'pred')
    gt = _as_2d(gt, 'gt')
    if tuple(pred.shape) != tuple(gt.shape):
        raise ValueError(
            f'Prediction shape {tuple(pred.shape)} differs from ground-truth '
            f'shape {tuple(gt.shape)}. Predictions must be resized to the '
            'original image size (`postprocess_result` does this) and '
            '`LoadAnnotations` must come after `Resize` in the test pipeline.')
    if isinstance(pred, torch.Tensor) != isinstance(gt, torch.Tensor):
        # Mixed inputs: compare on the CPU as numpy arrays.
        pred = pred.cpu().numpy() if isinstance(pred, torch.Tensor) else pred
        gt = gt.cpu().numpy() if isinstance(gt, torch.Tensor) else gt
    if ignore_index is None:
        valid = gt == gt
    else:
        valid = gt != ignore_index
    p = (pred == lesion_index) & valid
    g = (gt == lesion_index) & valid
    tp = int((p & g).sum())
    fp = int((p & ~g).sum())
    fn = int((~p & g).sum())
    tn = int((valid & ~p & ~g).sum())
    return tp, fp, fn, tn


def ratios_from_counts(tp: int, fp: int, fn: int, tn: int) -> Dict[str, float]:
    """Turn confusion counts into the six BUS ratios.

    Empty rule: a ratio whose denominator is 0 is 1.0 when the ground truth
    and the prediction are both empty (``tp + fn == 0`` and ``tp + fp == 0``),
    otherwise 0.0. So a normal image predicted empty scores 1.0 everywhere; a
    normal image with a false positive scores 0.0 for IoU, Dice, Precision and
    Sensitivity while Acc and Specificity are computed as usual; a missed
    lesion scores 0.0 for IoU, Dice, Precision and Sensitivity.

    Args:
        tp (int): Lesion pixels predicted as lesion.
        fp (int): Background pixels predicted as lesion.
        fn (int): Lesion pixels predicted as background.
        tn (int): Background pixels predicted as background.

    Returns:
        dict[str, float]: Keys ``IoU, Dice, Acc, Precision, Sensitivity,
        Specificity``, values in [0, 1].
    """
    for name, value in zip(COUNT_NAMES, (tp, fp, fn, tn)):
        if value < 0:
            raise ValueError(f'Count {name} must be >= 0, got {value}.')
    both_empty = (tp + fn == 0) and (tp + fp == 0)
    empty_value = 1.0 if both_empty else 0.0

    def ratio(num: float, den: float) -> float:
        return float(num) / float(den) if den > 0 else empty_value

    return OrderedDict(
        IoU=ratio(tp, tp + fp + fn),
        Dice=ratio(2 * tp, 2 * tp + fp + fn),
        Acc=ratio(tp + tn, tp + fp + fn + tn),
        Precision=ratio(tp, tp + fp),
        Sensitivity=ratio(tp, tp + fn),
        Specificity=ratio(tn, tn + fp))


def _counts_of(item: Union[Mapping, Sequence]) -> Counts:
    """Read ``(tp, fp, fn, tn)`` from a 4-sequence or a mapping."""
    if isinstance(item, Mapping):
        missing = [k for k in COUNT_NAMES if k not in item]
        if missing:
            raise KeyError(f'Counts dict lacks keys {missing}; expected '
                           f'{list(COUNT_NAMES)}.')
        return tuple(int(item[k]) for k in COUNT_NAMES)
    if len(item) != 4:
        raise ValueError('Each counts entry must be (tp, fp, fn, tn), got '
                         f'{len(item)} values.')
    return tuple(int(v) for v in item)


NORMAL_NAMES = ('normal_num_images', 'normal_num_clean', 'normal_clean',
                'normal_fp_pixels', 'normal_fp_fraction')


def normal_image_figures(counts: Sequence[Counts]) -> Dict[str, float]:
    """False positives on normal images and lesion-only per-image means.

    Args:
        counts (Sequence[tuple]): ``(tp, fp, fn, tn)`` of each image.

    Returns:
        dict: Empty when no image has an empty ground truth (``tp + fn ==
        0``). Otherwise ``normal_num_images`` and ``normal_num_clean``
        (ints), ``normal_clean`` (share predicted clean), ``normal_fp_pixels``
        (mean false-positive pixels per normal image), ``normal_fp_fraction``
        (mean of ``fp / (fp + tn)``), and, when lesion images are present
        too, ``lesion_IoU`` ... ``lesion_Specificity`` (per-image means over
        the lesion images).
    """
    normal = [c for c in counts if c[0] + c[2] == 0]
    if not normal:
        return OrderedDict()
    lesion = [c for c in counts if c[0] + c[2] > 0]
    clean = sum(1 for c in normal if c[0] + c[1] == 0)
    results = OrderedDict(
        normal_num_images=len(normal),
        normal_num_clean=clean,
        normal_clean=clean / len(normal),
        normal_fp_pixels=float(np.mean([c[1] for c in normal])),
        normal_fp_fraction=float(
            np.mean([c[1] / max(c[1] + c[3], 1) for c in normal])))
    if lesion:
        per_image = [ratios_from_counts(*c) for c in lesion]
        for name in METRIC_NAMES:
            results['lesion_' + name] = float(
                np.mean([r[name] for r in per_image]))
    return results


def summarize(
        counts_list: Sequence[Union[Mapping, Sequence]]) -> Dict[str, float]:
    """Reduce per-image counts in both ways BUS papers use.

    Args:
        counts_list (Sequence[dict | tuple]): One entry per image, either a
            ``(tp, fp, fn, tn)`` tuple or a dict with those keys.

    Returns:
        dict: ``IoU, Dice, Acc, Precision, Sensitivity, Specificity`` as the
        mean of the per-image ratios (the headline numbers), the same six
        prefixed with ``pixel_`` computed from counts summed over all images,
        ``num_images`` (int) and, when some image has an empty ground truth,
        the figures of :func:`normal_image_figures`.
    """
    counts = [_counts_of(c) for c in counts_list]
    if not counts:
        raise ValueError('summarize() needs at least one image, got none.')
    per_image = [ratios_from_counts(*c) for c in counts]
    results = OrderedDict()
    for name in METRIC_NAMES:
        results[name] = float(np.mean([r[name] for r in per_image]))
    totals = np.asarray(counts, dtype=np.int64).sum(axis=0)
    for name, value in ratios_from_counts(*(int(t) for t in totals)).items():
        results['pixel_' + name] = value
    results['num_images'] = len(counts)
    results.update(normal_image_figures(counts))
    return results


@METRICS.register_module()
class BUSMetric(BaseMetric):
    """Lesion IoU, Dice, Acc, Precision, Sensitivity and Specificity.

    Every labeled image gets its own confusion counts (pixels whose ground
    truth equals ``ignore_index`` are excluded). Two reductions are reported:
    the per-image mean (each image's ratio averaged over images; this is how
    BUS papers report and the headline keys ``IoU``, ``Dice``, ...) and the
    dataset-wide pixel aggregate (counts summed over all images, then the
    ratio; keys ``pixel_IoU``, ``pixel_Dice``, ...). Values are fractions in
    [0, 1]. ``num_images`` is the number of images scored. When the set
    holds normal images (empty ground truth), the ``normal_*`` and
    ``lesion_*`` figures of :func:`normal_image_figures` are added (clean
    share and false-positive pixels per normal image; lesion-only means).

    Empty rule: when a ratio's denominator is 0 in one image, the value is
    1.0 if the ground truth and the prediction are both empty (no lesion
    pixel), otherwise 0.0.

    Samples without ``gt_sem_seg`` or with metainfo ``labeled=False``
    (unlabeled images of semi-supervised training) are never scored.

    Args:
        ignore_index (int): Ground-truth value excluded from evaluation.
            Defaults to 255.
        lesion_index (int): Label of the lesion class. Defaults to 1.
        csv_file (str, optional): If set, a per-image CSV (img_path, tp, fp,
            fn, tn and the six ratios) is written on every evaluation. A
            relative path is resolved against ``output_dir`` if given, else
            against the current directory. Parent folders are created. An
            existing file is never overwritten: ``<stem>_1.csv``,
            ``<stem>_2.csv``, ... is used instead. Defaults to None.
        output_dir (str, optional): Folder for ``csv_file``. Defaults to None.
        collect_device (str): Device used to collect results across ranks,
            'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix added to the metric names to
            disambiguate homonymous metrics of different evaluators.
            Defaults to None.
    """

    def __init__(self,
                 ignore_index: int = 255,
                 lesion_index: int = 1,
                 csv_file: Optional[str] = None,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if lesion_index == ignore_index:
            raise ValueError(
                f'BUSMetric: lesion_index ({lesion_index}) equals '
                f'ignore_index ({ignore_index}); set lesion_index=1 for the '
                "('background', 'lesion') classes.")
        if csv_file is not None and not str(csv_file).strip():
            raise ValueError('BUSMetric: csv_file is an empty string; give a '
                             'file name such as "per_image.csv" or None.')
        self.ignore_index = ignore_index
        self.lesion_index = lesion_index
        self.csv_file = csv_file
        self.output_dir = output_dir

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store the confusion counts of each labeled sample of a batch.

        Only ``img_path`` (basename) and ``tp, fp, fn, tn`` are kept, so
        memory stays small whatever the image size.

        Args:
            data_batch (Any): A batch of data from the dataloader (unused).
            data_samples (Sequence[dict]): A batch of model outputs, as dicts
                (``SegDataSample.to_dict()``) holding ``pred_sem_seg`` and,
                for labeled images, ``gt_sem_seg``.
        """
        for data_sample in data_samples:
            if isinstance(data_sample, BaseDataElement):
                data_sample = data_sample.to_dict()
            if data_sample.get('labeled', True) is False:
                continue
            if data_sample.get('gt_sem_seg') is None:
                continue
            if data_sample.get('pred_sem_seg') is None:
                raise KeyError(
                    'BUSMetric: a data sample has no `pred_sem_seg`; the '
                    'model must return SegDataSample with predictions '
                    "(run it in mode='predict').")
            pred = data_sample['pred_sem_seg']['data']
            gt = data_sample['gt_sem_seg']['data']
            tp, fp, fn, tn = confusion_counts(pred, gt, self.ignore_index,
                                              self.lesion_index)
            img_path = data_sample.get('img_path')
            self.results.append(
                dict(
                    img_path=osp.basename(img_path) if img_path else '',
                    tp=tp,
                    fp=fp,
                    fn=fn,
                    tn=tn))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute both reductions from the stored per-image counts.

        Args:
            results (list): The per-image dicts stored by :meth:`process`.

        Returns:
            Dict[str, float]: Per-image means ``IoU, Dice, Acc, Precision,
            Sensitivity, Specificity``, the ``pixel_`` aggregates of the same
            six, and ``num_images``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if not results:
            raise ValueError(
                'BUSMetric: no labeled sample was evaluated. The val/test '
                'dataset must load ground-truth masks (`LoadAnnotations` in '
                'its pipeline) and hold labeled images.')
        metrics = summarize(results)

        table = PrettyTable()
        table.field_names = ['Reduction'] + list(METRIC_NAMES)
        table.add_row(['per-image mean'] +
                      [f'{metrics[k]:.4f}' for k in METRIC_NAMES])
        table.add_row(['pixel aggregate'] +
                      [f'{metrics["pixel_" + k]:.4f}' for k in METRIC_NAMES])
        print_log(f'BUS lesion results over {metrics["num_images"]} images:',
                  logger)
        print_log('\n' + table.get_string(), logger=logger)
        if 'normal_num_images' in metrics:
            print_log(
                f'normal images: {metrics["normal_num_clean"]} of '
                f'{metrics["normal_num_images"]} predicted clean, '
                f'{metrics["normal_fp_pixels"]:.1f} false-positive pixels '
                'per normal image', logger)

        if self.csv_file is not None:
            self._write_csv(results, logger)
        return metrics

    def _csv_path(self) -> str:
        """Requested CSV path, joined to ``output_dir`` when given."""
        path = os.fspath(self.csv_file)
        if self.output_dir is not None:
            path = osp.join(os.fspath(self.output_dir), path)
        return path

    def _write_csv(self, results: list, logger: MMLogger) -> str:
        """Write one row per image without overwriting an existing file."""
        requested = self._csv_path()
        parent = osp.dirname(osp.abspath(requested))
        os.makedirs(parent, exist_ok=True)
        stem, ext = osp.splitext(requested)
        path, i = requested, 0
        while True:
            try:
                f = open(path, 'x', newline='', encoding='utf-8')
                break
            except FileExistsError:
                i += 1
                path = f'{stem}_{i}{ext}'
        with f:
            writer = csv.writer(f)
            writer.writerow(['img_path', *COUNT_NAMES, *METRIC_NAMES])
            for item in results:
                counts = _counts_of(item)
                ratios = ratios_from_counts(*counts)
                writer.writerow([
                    item.get('img_path', ''), *counts,
                    *(ratios[k] for k in METRIC_NAMES)
                ])
        if path != requested:
            print_log(
                f'{requested} already exists and was kept; per-image '
                f'results written to {path}', logger)
        else:
            print_log(f'per-image results written to {path}', logger)
        return path
