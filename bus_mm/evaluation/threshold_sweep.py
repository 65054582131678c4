"""Lesion-probability threshold sweep of a binary segmentation model.

A model that trades sensitivity for precision may only sit at another point of
the same operating curve: predicting with a lower threshold would give the
sensitivity back. This module measures that. It reads the lesion probability
of every validation and test image once, counts ``tp, fp, fn, tn`` at each
threshold with :func:`~bus_mm.evaluation.bus_metric.confusion_counts`, and
reduces them with BUSMetric's per-image rule, so the figure at the model's own
threshold equals the metric ``tools/test.py`` reports.

Three operating points are reported per fold:

* ``@config_t``: the threshold the model predicts with (``test_cfg.threshold``
  of bus_mm's binary segmentors, ``decode_head.threshold`` of a 1-channel mmseg
  model, 0.5 = argmax for a 2-class softmax);
* ``@val_t``: the threshold with the best validation score, applied to the
  test images (a calibration a user can do without touching the test set);
* ``@oracle_t``: the best threshold on the test images themselves (an upper
  bound: how good the ranking of pixels is, whatever the threshold).
"""
from typing import Dict, List, Sequence

import numpy as np
import torch

from .bus_metric import confusion_counts, ratios_from_counts

OPERATING_POINTS = ('config_t', 'val_t', 'oracle_t')


def default_thresholds() -> List[float]:
    """0.10, 0.15, ..., 0.90."""
    return [round(0.1 + 0.05 * i, 2) for i in range(17)]


def lesion_probability(model: torch.nn.Module, seg_logits: torch.Tensor,
                       lesion_index: int = 1) -> torch.Tensor:
    """The lesion probability map of one predicted sample.

    Args:
        model (nn.Module): The model that predicted ``seg_logits``.
        seg_logits (Tensor): ``SegDataSample.seg_logits.data``, ``(C, H, W)``.
        lesion_index (int): Lesion class of a multi-class output. Default: 1.

    Returns:
        Tensor: ``(H, W)`` probabilities in [0, 1].
    """
    from bus_mm.models.segmentors.binary_segmentor import \
        BinarySegmentorMixin
    x = seg_logits.float()
    if isinstance(model, BinarySegmentorMixin):
        return x[0].sigmoid()  # bus_mm keeps the 1-channel logit
    if x.shape[0] == 1:
        return x[0]  # mmseg's base class stores sigmoid(logit) already
    return x.softmax(0)[lesion_index]


def config_threshold(model: torch.nn.Module, channels: int) -> float:
    """The threshold ``model`` predicts with (see the module docstring)."""
    if hasattr(model, 'threshold') and not callable(model.threshold):
        return float(model.threshold)
    if channels == 1:
        return float(model.decode_head.threshold)
    return 0.5


def image_scores(prob: torch.Tensor, gt: torch.Tensor,
                 thresholds: Sequence[float], ignore_index: int = 255,
                 lesion_index: int = 1) -> np.ndarray:
    """Per-image Dice and IoU at each threshold.

    Args:
        prob (Tensor): ``(H, W)`` lesion probability.
        gt (Tensor): ``(H, W)`` or ``(1, H, W)`` label map.
        thresholds (Sequence[float]): Lesion when ``prob > t``.
        ignore_index (int): Label excluded from the counts. Default: 255.
        lesion_index (int): Lesion label in ``gt``. Default: 1.

    Returns:
        ndarray: ``(len(thresholds), 2)``: Dice, IoU (BUSMetric's rule: 1.0
        when the ground truth and the prediction are both empty).
    """
    out = np.zeros((len(thresholds), 2))
    for i, t in enumerate(thresholds):
        counts = confusion_counts((prob > t).long(), gt, ignore_index,
                                  lesion_index)
        r = ratios_from_counts(*counts)
        out[i] = r['Dice'], r['IoU']
    return out


def summarize_sweep(val: np.ndarray, test: np.ndarray,
                    thresholds: Sequence[float], config_t: float,
                    select_by: str = 'Dice') -> Dict:
    """Operating points of one fold from its per-threshold means.

    Args:
        val (ndarray): ``(T, 2)`` mean validation Dice, IoU per threshold.
        test (ndarray): ``(T, 2)`` mean test Dice, IoU per threshold.
        thresholds (Sequence[float]): The ``T`` thresholds; must contain
            ``config_t``.
        config_t (float): The model's own threshold.
        select_by (str): ``'Dice'`` or ``'IoU'``: what the validation and the
            oracle choice maximise. Default: ``'Dice'``.

    Returns:
        dict: ``thresholds``, ``val`` / ``test`` (``{'Dice': [...], 'IoU':
        [...]}``), ``chosen`` (``{point: threshold}``) and ``metrics``
        (``{'Dice@val_t': ..., 'IoU@oracle_t': ..., ...}``).
    """
    names = ('Dice', 'IoU')
    if select_by not in names:
        raise ValueError(f'select_by must be one of {names}, got '
                         f'{select_by!r}')
    ts = [float(t) for t in thresholds]
    match = [i for i, t in enumerate(ts) if abs(t - config_t) < 1e-9]
    if not match:
        raise ValueError(f'the thresholds {ts} do not contain the model\'s '
                         f'own threshold {config_t}; add it')
    col = names.index(select_by)
    # first maximum: ties go to the lower threshold
    idx = dict(config_t=match[0], val_t=int(np.argmax(val[:, col])),
               oracle_t=int(np.argmax(test[:, col])))
    metrics = {f'{m}@{p}': float(test[i, j]) for p, i in idx.items()
               for j, m in enumerate(names)}
    return dict(thresholds=ts,
                val={m: val[:, j].tolist() for j, m in enumerate(names)},
                test={m: test[:, j].tolist() for j, m in enumerate(names)},
                select_by=select_by,
                chosen={p: ts[i] for p, i in idx.items()},
                metrics=metrics)
