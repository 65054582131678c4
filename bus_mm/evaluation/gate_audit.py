"""How well a trust gate's score tracks the true quality of pseudo-labels.

An audit needs masks for the "unlabeled" images (phantoms, busi-dev, a
labeled set used as unlabeled). They never reach a loss: ASSGAN only
compares each pseudo-label with its mask after the gate has decided.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from scipy.stats import rankdata, spearmanr

GOOD_IOU = 0.5


def mask_iou(pred: np.ndarray, gt: np.ndarray, valid=None) -> float:
    """IoU of two 0/1 masks (1.0 when both are empty)."""
    pred, gt = pred.astype(bool), gt.astype(bool)
    if valid is not None:
        pred, gt = pred & valid, gt & valid
    union = np.logical_or(pred, gt).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(pred, gt).sum() / union)


def audit_pseudo_labels(samples, labels: torch.Tensor,
                        scores: Optional[torch.Tensor],
                        accepted: torch.Tensor
                        ) -> List[Tuple[float, float, bool]]:
    """Score, true IoU and verdict of each audited pseudo-label.

    Args:
        samples (list[SegDataSample]): The unlabeled samples; those with a
            ``gt_audit_seg`` are audited, the others skipped.
        labels (Tensor): (N, 1, H, W) pseudo-labels (0/1, 255 = ignore).
        scores (Tensor, optional): (N,) gate scores; None (accept-all) gives
            NaN scores.
        accepted (Tensor): (N,) the gate's verdicts.

    Returns:
        list[tuple]: ``(score, iou, accepted)`` per audited sample; the IoU
        is taken over the pseudo-label's non-ignored pixels.
    """
    out = []
    for i, sample in enumerate(samples):
        if 'gt_audit_seg' not in sample:
            continue
        label = labels[i, 0]
        keep = label != 255
        gt = (sample.gt_audit_seg.data.to(label.device)[0] == 1) & keep
        pred = (label == 1) & keep
        union = (pred | gt).sum().item()
        iou = 1.0 if union == 0 else (pred & gt).sum().item() / union
        score = float('nan') if scores is None else float(scores[i])
        out.append((score, iou, bool(accepted[i])))
    return out


def auroc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve of ``scores`` for ``positive`` (Mann-Whitney
    U with mid-ranks for ties); NaN when one class is empty."""
    scores = np.asarray(scores, dtype=float)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    if n_pos == 0 or n_neg == 0:
        return float('nan')
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) /
                 (n_pos * n_neg))


def audit_summary(scores: Sequence[float], ious: Sequence[float],
                  accepted: Sequence[bool]) -> Dict[str, float]:
    """Audit figures of one window (epoch) of one generator.

    Args:
        scores: Gate scores of the pseudo-labels.
        ious: Their true IoU against the (never trained on) masks.
        accepted: Whether the gate let each one through.

    Returns:
        dict: ``accepted_share``, ``iou_accepted``, ``iou_rejected``, ``iou_all``,
        ``spearman`` (rank correlation of score and IoU), ``auroc`` (score
        separating IoU >= 0.5 from < 0.5) and ``count``; NaN where undefined.
    """
    scores = np.asarray(scores, dtype=float)
    ious = np.asarray(ious, dtype=float)
    acc = np.asarray(accepted, dtype=bool)
    nan = float('nan')
    out = dict(count=float(len(scores)))
    if len(scores) == 0:
        return dict(out, accepted_share=nan, iou_accepted=nan,
                    iou_rejected=nan, iou_all=nan, spearman=nan, auroc=nan)
    out['accepted_share'] = float(acc.mean())
    out['iou_accepted'] = float(ious[acc].mean()) if acc.any() else nan
    out['iou_rejected'] = float(ious[~acc].mean()) if (~acc).any() else nan
    out['iou_all'] = float(ious.mean())
    if len(scores) > 2 and np.ptp(scores) > 0 and np.ptp(ious) > 0:
        out['spearman'] = float(spearmanr(scores, ious).statistic)
    else:
        out['spearman'] = nan
    out['auroc'] = auroc(scores, ious >= GOOD_IOU)
    return out
