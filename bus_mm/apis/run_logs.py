"""Read back what training runs logged in their work dirs."""
import glob
import json
import os.path as osp
from typing import Dict


def val_ious(work_dir: str) -> Dict[int, float]:
    """Every val IoU a ``tools/train.py`` run logged in ``work_dir``.

    Reads every ``<work_dir>/<timestamp>/vis_data/scalars.json`` (resumed
    runs have several); a val record is one with an ``IoU`` key.

    Args:
        work_dir (str): A training work dir (or one cross-validation fold).

    Returns:
        dict[int, float]: Val IoU by training iteration (``step``); a later
        log wins for a repeated iteration.
    """
    curve = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if 'IoU' in rec:
                    curve[int(rec.get('step', -1 - len(curve)))] = float(
                        rec['IoU'])
    return curve


def best_val_iou(work_dir: str) -> float:
    """The best val IoU a ``tools/train.py`` run logged in ``work_dir``.

    Args:
        work_dir (str): A training work dir (or one cross-validation fold).

    Returns:
        float: The largest val IoU logged there.

    Raises:
        SystemExit: Naming the work dir when it holds no val record.
    """
    curve = val_ious(work_dir)
    if not curve:
        raise SystemExit(
            f'{work_dir!r}: no val IoU logged there (<work_dir>/<timestamp>/'
            'vis_data/scalars.json); give a trained run (e.g. a fold of '
            'unet_busi-cpu128.py)')
    return max(curve.values())
