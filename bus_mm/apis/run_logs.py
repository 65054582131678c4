"""Read back what training runs logged in their work dirs."""
import glob
import json
import os.path as osp


def best_val_iou(work_dir: str) -> float:
    """The best val IoU a ``tools/train.py`` run logged in ``work_dir``.

    Reads every ``<work_dir>/<timestamp>/vis_data/scalars.json`` (resumed
    runs have several); a val record is one with an ``IoU`` key.

    Args:
        work_dir (str): A training work dir (or one cross-validation fold).

    Returns:
        float: The largest val IoU logged there.

    Raises:
        SystemExit: Naming the work dir when it holds no val record.
    """
    best = None
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if 'IoU' in rec:
                    best = rec['IoU'] if best is None else max(best,
                                                               rec['IoU'])
    if best is None:
        raise SystemExit(
            f'{work_dir!r}: no val IoU logged there (<work_dir>/<timestamp>/'
            'vis_data/scalars.json); give a trained run (e.g. a fold of '
            'unet_busi-cpu128.py)')
    return float(best)
