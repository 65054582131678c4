"""The ledger of the TaiChiNet paper-width study: one record per finished
fold x seed of each group, copied from the study's work dirs.

The study (``scripts/taichinet_power_study.sh DATA WORK 32``, ``PHASES=core``)
runs in lanes across several machines and a work dir may not outlive its
machine, so every finished fold of ``WORK/{model1,model7,tc-masked}-s<seed>``
is copied into ``projects/taichinet_width/units.json`` (aggregate test
figures, normal-image false positives, best iteration, run time, late val
IoU rise, subset Dice, the fold's curriculum teacher). Runs trained for
another schedule than the study's ``ITERS`` (``CV_OPTS=train_cfg.max_iters=N``)
are kept apart, as group ``<group>@<N>``.
"""
import csv
import glob
import json
import os.path as osp
import re
import sys
import time
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
from bus_mm.apis import val_ious  # noqa: E402

LEDGER = osp.join(ROOT, 'projects', 'taichinet_width', 'units.json')
GROUPS = ('model1', 'model7', 'tc-masked')
METRICS = ('Dice', 'IoU', 'Precision', 'Sensitivity')
NORMAL = ('normal_num_images', 'normal_num_clean', 'normal_fp_pixels')
SMALL = 0.05  # a lesion under 5% of the image's pixels is 'small'
SUBSETS = (('Dice_benign', 'benign'), ('Dice_malignant', 'malignant'),
           ('Dice_small', 'lesion < 5% of the image'),
           ('Dice_large', 'lesion >= 5%'))
ITERS = 1200  # the study's schedule
READOUTS = ('positive', 'negative', 'mean')  # TaiChiNet's outputs
READOUT_DIR = 'readouts'


def _stamp(text: str) -> float:
    return time.mktime(time.strptime(text, '%Y-%m-%d %H:%M:%S'))


def val_rise(curve: Dict[int, float],
             iters: int = ITERS) -> Optional[float]:
    """How much a run's val IoU still rose late: the mean over its last
    sixth of training minus the mean over 7/12 to 3/4 of it (iterations
    1000-1200 minus 700-900 at 1200 iterations; None without both)."""
    late = [v for i, v in curve.items() if 12 * i >= 10 * iters]
    mid = [v for i, v in curve.items() if 7 * iters <= 12 * i <= 9 * iters]
    return float(np.mean(late) - np.mean(mid)) if late and mid else None


def max_iters_of(fold_dir: str) -> int:
    """The schedule a fold trained for: ``train_cfg.max_iters`` of the config
    its run dumped into the fold (``ITERS`` when it cannot be read)."""
    run = osp.join(fold_dir, 'bus_mm_run.json')
    if not osp.isfile(run):
        return ITERS
    with open(run) as f:
        dumped = osp.join(fold_dir, osp.basename(json.load(f)['config']))
    if not osp.isfile(dumped):
        return ITERS
    train_cfg = Config.fromfile(dumped).get('train_cfg') or {}
    return int(train_cfg.get('max_iters', ITERS))


def breakdown(per_image: str) -> dict:
    """Mean test Dice of a fold's subsets, from its ``per_image.csv``.

    Args:
        per_image (str): The fold's per-image test table (``img_path`` and
            the confusion counts ``tp, fp, fn, tn`` at the original size).

    Returns:
        dict: ``Dice_benign`` / ``Dice_malignant`` (by the BUSI file name)
        and ``Dice_small`` / ``Dice_large`` (lesion under / at least
        ``SMALL`` of the image's pixels); a subset without images is left
        out.
    """
    with open(per_image) as f:
        rows = list(csv.DictReader(f))
    subsets = {k: [] for k, _ in SUBSETS}
    for r in rows:
        n = sum(float(r[k]) for k in ('tp', 'fp', 'fn', 'tn'))
        area = (float(r['tp']) + float(r['fn'])) / n
        dice = float(r['Dice'])
        name = osp.basename(r['img_path'])
        subsets['Dice_malignant' if name.startswith('malignant')
                else 'Dice_benign'].append(dice)
        subsets['Dice_small' if area < SMALL else 'Dice_large'].append(dice)
    return {k: float(np.mean(v)) for k, v in subsets.items() if v}


def readouts(fold_dir: str) -> dict:
    """Test Dice of each TaiChiNet output (``Dice_<output>``), when the
    fold's best checkpoint was also tested with ``tools/test.py
    --predict-with positive negative mean --work-dir <fold>/readouts``."""
    path = osp.join(fold_dir, READOUT_DIR, 'test_metrics.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        metrics = json.load(f)['metrics']
    return {f'Dice_{k}': float(m['Dice']) for k, m in metrics.items()
            if k in READOUTS}


def launches(fold_dir: str, tool: str) -> int:
    """How often a fold's ``cv_commands.log`` launched ``tool`` (e.g.
    ``tools/train.py``); more than once means the run was stopped and
    resumed, so its measured time covers only the last part."""
    path = osp.join(fold_dir, 'cv_commands.log')
    if not osp.isfile(path):
        return 0
    with open(path, errors='replace') as f:
        return sum(line.startswith('$ ') and tool in line for line in f)


def teacher_of(meta: dict) -> dict:
    """A curriculum's teacher from its ``curriculum_meta.json``: when it was
    mined, its val IoU and the mean E_p / H_p / missed shares of the lesion."""
    shares = meta.get('shares') or {}
    return dict(time=meta.get('time'),
                val_IoU=(meta.get('teacher_val') or {}).get('IoU'),
                **{k: (shares.get(k) or {}).get('mean')
                   for k in ('easy', 'hard', 'missed')})


def read_fold(fold_dir: str) -> Optional[dict]:
    """A finished fold's ledger record.

    Args:
        fold_dir (str): ``WORK/<run>/fold_<k>`` of a ``tools/cross_val.py``
            run.

    Returns:
        dict, optional: Test figures (fractions), normal-image figures, best
        iteration, the run's own seconds (``resumed``: of its last part
        only), its best val IoU, its schedule
        (``max_iters``), its val IoU by iteration and late rise, the Dice
        of each output (:func:`readouts`) and, for the run
        that trained the fold's teacher, ``teacher`` (:func:`teacher_of`,
        seconds); a TaiChiNet run also gets ``curriculum``, the teacher it
        trained on (:func:`teacher_of`, whether mined by this run or
        linked). None while the fold lacks its test or its normal test.
    """
    done = osp.join(fold_dir, 'cv_fold_metrics.json')
    if not osp.isfile(done):
        return None
    with open(done) as f:
        rec = json.load(f)
    m = rec['metrics']['model']
    if 'normal_num_images' not in m:
        return None
    out = {k: float(m[k]) for k in METRICS}
    out.update({k: float(m[k]) for k in NORMAL})
    it = re.search(r'iter_(\d+)\.pth$', rec['checkpoint'])
    out['best_iter'] = int(it.group(1)) if it else None
    out['seconds'] = float(rec['seconds'])
    out['resumed'] = launches(fold_dir, 'tools/train.py') > 1
    curve = val_ious(fold_dir)  # the run's logs, read once
    out['best_val_IoU'] = max(curve.values()) if curve else None
    out['max_iters'] = max_iters_of(fold_dir)
    out['val_rise'] = val_rise(curve, out['max_iters'])
    out['val_curve'] = {str(i): v for i, v in sorted(curve.items())}
    per_image = osp.join(fold_dir, 'per_image.csv')
    if osp.isfile(per_image):
        out.update(breakdown(per_image))
    out.update(readouts(fold_dir))
    meta_path = osp.join(fold_dir, 'curriculum', 'curriculum_meta.json')
    train_done = osp.join(fold_dir, 'cv_train_done.json')
    if osp.isfile(meta_path) and osp.isfile(train_done):
        with open(meta_path) as f:
            meta = json.load(f)
        with open(train_done) as f:
            td = json.load(f)
        end, mined = _stamp(td['time']), _stamp(meta['time'])
        start = end - td['seconds']
        if mined <= end:  # (a curriculum mined later is not this run's)
            out['curriculum'] = teacher_of(meta)
        if mined <= end and not osp.islink(osp.join(fold_dir, 'curriculum')):
            # this run trained and mined the fold's teacher: split its time
            out['seconds'] -= mined - start
            out['teacher'] = dict(
                out['curriculum'], seconds=mined - start,
                resumed=launches(fold_dir, 'prepare_curriculum.py') > 1)
    out['source'] = 'work dir'
    return out


def update_ledger(ledger: dict, work: str) -> List[str]:
    """Copies a work dir's finished folds into the ledger.

    Args:
        ledger (dict): ``{'runs': {group: {'fold:seed': record}},
            'teachers': {fold: record}}``, updated in place; a run trained
            for another schedule than ``ITERS`` joins group
            ``<group>@<max_iters>``.
        work (str): The study's work dir.

    Returns:
        list[str]: The units that were not in the ledger before.
    """
    new = []
    for g in GROUPS:
        for run in sorted(glob.glob(osp.join(work, f'{g}-s[0-9]*'))):
            seed = int(run.rsplit('-s', 1)[1])
            for fold_dir in sorted(glob.glob(osp.join(run, 'fold_*'))):
                fold = int(fold_dir.rsplit('_', 1)[1])
                rec = read_fold(fold_dir)
                if rec is None:
                    continue
                teacher = rec.pop('teacher', None)
                if teacher is not None:
                    ledger['teachers'][str(fold)] = dict(
                        teacher, mined_in=f'{g}-s{seed}')
                key = f'{fold}:{seed}'
                group = g if rec['max_iters'] == ITERS else \
                    f'{g}@{rec["max_iters"]}'
                units = ledger['runs'].setdefault(group, {})
                if key not in units:
                    new.append(f'{group} fold {fold} seed {seed}')
                units[key] = rec
    return new


def load_ledger(path: str = LEDGER) -> dict:
    """The ledger at ``path`` (an empty one when there is none yet)."""
    if not osp.isfile(path):
        return dict(runs={}, teachers={})
    with open(path) as f:
        return json.load(f)


def save_ledger(ledger: dict, path: str = LEDGER) -> None:
    """Writes the ledger with its units sorted by fold and seed."""
    for g in ledger['runs']:
        ledger['runs'][g] = dict(sorted(
            ledger['runs'][g].items(),
            key=lambda kv: tuple(int(x) for x in kv[0].split(':'))))
    with open(path, 'w') as f:
        json.dump(ledger, f, indent=1)
        f.write('\n')


def units_of(ledger: dict, g: str) -> Dict[tuple, dict]:
    """``{(fold, seed): record}`` of one group."""
    return {tuple(int(x) for x in k.split(':')): v
            for k, v in ledger['runs'].get(g, {}).items()}
