"""Pictures of ASSGAN's gate audit (``<work_dir>/gate_audit.jsonl``).

``gate_audit.png``: left, per statistics window (an epoch of unlabeled
images) and generator, the share of pseudo-labels the gate accepted (the
paper's Fig. 5 as a share) and the true IoU of the accepted and rejected
ones; right, every audited pseudo-label's gate score against its true IoU
(accepted filled, rejected hollow) with gamma, Spearman rho and AUROC.
"""
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

from bus_mm.evaluation.gate_audit import audit_summary

AUDIT_FILE = 'gate_audit.jsonl'


def load_audit(work_dir: str) -> List[dict]:
    """The audit records of a run (empty when it was not audited)."""
    path = osp.join(work_dir, AUDIT_FILE)
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def audit_windows(records: List[dict], window: int) -> Dict[str, list]:
    """Per generator: ``(window end iteration, audit_summary)`` rows."""
    groups = defaultdict(list)
    for r in records:
        groups[(r['generator'], r['iter'] // window)].append(r)
    out = defaultdict(list)
    for (gen, w), recs in sorted(groups.items()):
        scores = [np.nan if r['score'] is None else r['score'] for r in recs]
        out[gen].append(((w + 1) * window, audit_summary(
            scores, [r['iou'] for r in recs], [r['accepted'] for r in recs])))
    return out


def plot_gate_audit(work_dir: str, out_dir: Optional[str] = None,
                    window: Optional[int] = None,
                    gamma: Optional[float] = None) -> List[str]:
    """Write ``gate_audit.png`` for a run with a gate audit.

    Args:
        work_dir (str): Training work dir holding ``gate_audit.jsonl``.
        out_dir (str, optional): Where to write (default: ``work_dir``).
        window (int, optional): Iterations per statistics window (default:
            a tenth of the audited iterations).
        gamma (float, optional): Threshold line in the scatter plot.

    Returns:
        list[str]: The written path, or nothing without audit records.
    """
    from .curves import _plt, _save
    records = load_audit(work_dir)
    if not records:
        return []
    plt = _plt()
    iters = [r['iter'] for r in records]
    window = window or max(1, (max(iters) - min(iters) + 1) // 10)
    rows = audit_windows(records, window)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    colors = {'a': 'tab:blue', 'b': 'tab:orange'}
    for gen, pts in rows.items():
        x = [p[0] for p in pts]
        ax1.plot(x, [p[1]['accepted_share'] for p in pts], '-o', ms=3,
                 color=colors.get(gen), label=f'{gen.upper()} accepted share')
        ax1.plot(x, [p[1]['iou_accepted'] for p in pts], '--', ms=3,
                 color=colors.get(gen), label=f'{gen.upper()} IoU accepted')
        ax1.plot(x, [p[1]['iou_rejected'] for p in pts], ':', ms=3,
                 color=colors.get(gen), label=f'{gen.upper()} IoU rejected')
    ax1.set_ylim(0, 1)
    ax1.set_xlabel('iteration (end of window)')
    ax1.set_title('gate audit per window')
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=6, ncol=2)
    late = [r for r in records if r['iter'] >= np.median(iters)]
    text = []
    for gen in sorted({r['generator'] for r in late}):
        recs = [r for r in late if r['generator'] == gen
                and r['score'] is not None]
        if not recs:
            continue
        s = np.array([r['score'] for r in recs])
        iou = np.array([r['iou'] for r in recs])
        acc = np.array([r['accepted'] for r in recs])
        ax2.scatter(s[acc], iou[acc], s=8, color=colors.get(gen),
                    label=f'{gen.upper()} accepted')
        ax2.scatter(s[~acc], iou[~acc], s=8, facecolors='none',
                    edgecolors=colors.get(gen), label=f'{gen.upper()} rejected')
        st = audit_summary(s, iou, acc)
        text.append(f'{gen.upper()}: rho {st["spearman"]:.2f}, AUROC '
                    f'{st["auroc"]:.2f}')
    if gamma is not None:
        ax2.axvline(gamma, color='k', lw=0.8, ls='--')
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 1)
    ax2.set_xlabel('gate score')
    ax2.set_ylabel('true IoU of the pseudo-label')
    ax2.set_title('second half: ' + '; '.join(text), fontsize=8)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=6)
    out_dir = out_dir or work_dir
    os.makedirs(out_dir, exist_ok=True)
    return [_save(fig, osp.join(out_dir, 'gate_audit.png'))]
