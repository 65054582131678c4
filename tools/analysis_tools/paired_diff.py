"""Paired differences between cross-validation runs, as Markdown.

Several ``tools/cross_val.py`` work dirs that share their folds (same data,
``--num-folds`` and fold seed) are compared unit by unit: a *unit* is one
(fold, training seed) pair, so every difference compares two models trained
and tested on the same images. A run's name is its work dir's basename; a
trailing ``-s<N>`` (or ``_s<N>``, ``-seed<N>``) is the training seed and the
rest is the *group* (``model1-s0`` and ``model1-s1`` form the group
``model1``). For every group other than the reference it prints

* per unit: the reference's and the group's metric and their difference;
* the mean +- sample std of the differences over units, and how many are
  positive (a 3-point effect with a std of 3 over 10 units has a standard
  error of about 1);

plus a table of every group's mean +- std over units, the normal-image
figures when the test folds hold normal images (BUSMetric ``normal_*``), and
the curriculum teacher of each fold (``<fold>/curriculum/curriculum_meta.json``
of TaiChiNet runs): its val IoU, the shares of the lesions in E_p / H_p /
missed, and a warning where it is below the reference's (Model 1's) best val
IoU on the same fold. With ``--pixel-shift`` it adds where the predictions
move: per test image (joined by path within each unit, from the folds'
``per_image[_<variant>].csv``), the change in false-positive and missed pixels
against the reference and the Dice change by lesion-size tercile (GT area
``tp + fn``). Folds swept by ``tools/analysis_tools/threshold_sweep.py``
also have the metrics ``Dice@val_t``, ``IoU@val_t``, ``Dice@oracle_t``, ...
(test figures at the validation-chosen and at the best threshold).
Example::

    python tools/analysis_tools/paired_diff.py work_dirs/power/*-s[01] \\
        --ref model1 --out work_dirs/power/paired_diff.md
"""
import argparse
import csv
import glob
import json
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy import stats

from bus_mm.apis import best_val_iou

FOLD_DONE = 'cv_fold_metrics.json'
SWEEP = 'threshold_sweep.json'  # tools/analysis_tools/threshold_sweep.py
SEED_RE = re.compile(r'^(?P<group>.+?)[-_](?:s|seed)(?P<seed>\d+)$')

Unit = Tuple[int, int]  # (fold, seed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Paired differences (per fold and training seed) between '
        'cross-validation runs, as Markdown')
    parser.add_argument('runs', nargs='+',
                        help='cross_val.py work dirs; the name <group>-s<seed>'
                        ' gives the group and the training seed')
    parser.add_argument('--ref', required=True,
                        help='group every other group is compared with '
                        '(e.g. model1)')
    parser.add_argument('--metrics', nargs='+', default=['Dice', 'IoU'],
                        help='metrics to difference (default: Dice IoU); the '
                        'first one is detailed per unit')
    parser.add_argument('--variant', default='model',
                        help="test variant (default: 'model'; ASSGAN: "
                        'generator_a, generator_b, mean)')
    parser.add_argument('--pixel-shift', action='store_true',
                        help='also compare the per-image false-positive / '
                        'missed pixels and Dice by lesion size')
    parser.add_argument('--out', help='also write the Markdown here (and '
                        'the numbers as JSON next to it)')
    return parser.parse_args(argv)


def run_name(path: str) -> Tuple[str, int]:
    """``(group, seed)`` of a run dir named ``<group>-s<seed>`` (seed 0 when
    the name has no seed suffix)."""
    name = osp.basename(osp.normpath(path))
    m = SEED_RE.match(name)
    if m:
        return m.group('group'), int(m.group('seed'))
    return name, 0


def load_run(path: str, variant: str) -> Dict[int, dict]:
    """``{fold: metrics}`` of a run's finished folds."""
    out = {}
    for done in glob.glob(osp.join(path, 'fold_*', FOLD_DONE)):
        with open(done) as f:
            rec = json.load(f)
        metrics = rec['metrics']
        if variant not in metrics:
            raise SystemExit(f'{done}: no test variant {variant!r} (has '
                             f'{sorted(metrics)}); pass --variant')
        out[int(rec['fold'])] = dict(metrics[variant])
        sweep = osp.join(osp.dirname(done), SWEEP)
        if variant == 'model' and osp.isfile(sweep):
            # tools/analysis_tools/threshold_sweep.py: Dice@val_t...
            with open(sweep) as f:
                out[int(rec['fold'])].update(json.load(f)['metrics'])
    return out


def load_groups(runs: List[str], variant: str) -> Dict[str, Dict[Unit, dict]]:
    """``{group: {(fold, seed): metrics}}``; refuses two runs of one unit."""
    groups: Dict[str, Dict[Unit, dict]] = OrderedDict()
    dirs: Dict[Tuple[str, int], str] = {}
    for path in runs:
        if not osp.isdir(path):
            raise SystemExit(f'{path}: not a folder')
        group, seed = run_name(path)
        if (group, seed) in dirs:
            raise SystemExit(f'{path} and {dirs[group, seed]} are both group '
                             f'{group!r} seed {seed}; name runs '
                             '<group>-s<seed>')
        dirs[group, seed] = path
        for fold, metrics in load_run(path, variant).items():
            groups.setdefault(group, OrderedDict())[(fold, seed)] = metrics
    return groups


def mean_std(values) -> Tuple[Optional[float], Optional[float]]:
    v = np.asarray(list(values), dtype=float)
    if not len(v):
        return None, None
    return float(v.mean()), (float(v.std(ddof=1)) if len(v) > 1 else None)


def fmt(m: Optional[float], s: Optional[float], scale: float = 100,
        digits: int = 1, sign: bool = False) -> str:
    if m is None:
        return '-'
    f = f'{{:{"+" if sign else ""}.{digits}f}}'
    return f.format(scale * m) + ('' if s is None else
                                  f' +- {scale * s:.{digits}f}')


def paired(ref: Dict[Unit, dict], other: Dict[Unit, dict],
           metric: str) -> List[Tuple[Unit, float, float]]:
    """``[(unit, ref value, other value)]`` over the units both have."""
    units = sorted(set(ref) & set(other))
    return [(u, float(ref[u][metric]), float(other[u][metric]))
            for u in units if metric in ref[u] and metric in other[u]]


def paired_summary(pairs) -> dict:
    """Mean, sample std, units above 0 and the 95% t-interval of the
    paired differences (``ci95`` is None below two units)."""
    d = [o - r for _, r, o in pairs]
    m, s = mean_std(d)
    ci = None
    if len(d) > 1:
        half = stats.t.ppf(0.975, len(d) - 1) * s / np.sqrt(len(d))
        ci = (m - half, m + half)
    return dict(n=len(d), mean=m, std=s, positive=sum(x > 0 for x in d),
                diffs=d, ci95=ci)


def fmt_ci(ci: Optional[Tuple[float, float]], scale: float = 100,
           digits: int = 1) -> str:
    """A 95% interval in points, e.g. ``[-2.1, +4.0]`` (``scale=1,
    digits=0`` for pixel counts: ``[-1544, +9802]``)."""
    if ci is None:
        return '-'
    return f'[{scale * ci[0]:+.{digits}f}, {scale * ci[1]:+.{digits}f}]'


def teacher_rows(runs: List[str], ref_runs: List[str]) -> List[dict]:
    """One row per (run, fold) with curriculum masks: teacher val IoU,
    lesion shares, the reference's best val IoU on that fold."""
    seen, rows = set(), []
    for path in runs:
        for meta_path in sorted(glob.glob(osp.join(
                path, 'fold_*', 'curriculum', 'curriculum_meta.json'))):
            real = osp.realpath(meta_path)
            if real in seen:  # shared by several runs
                continue
            seen.add(real)
            with open(meta_path) as f:
                meta = json.load(f)
            # the run that mined it (a linked folder names its owner)
            fold_dir = osp.dirname(osp.dirname(real))
            owner = osp.basename(osp.dirname(fold_dir))
            fold = int(osp.basename(fold_dir).split('_')[1])
            ref_ious = []
            for r in ref_runs:
                fd = osp.join(r, f'fold_{fold}')
                if osp.isdir(fd):
                    try:
                        ref_ious.append(best_val_iou(fd))
                    except SystemExit:
                        pass
            shares = meta.get('shares') or {}
            tv = meta.get('teacher_val') or {}
            rows.append(dict(
                fold=fold, run=owner,
                teacher_val_IoU=tv.get('IoU'),
                ref_val_IoU=(float(np.mean(ref_ious)) if ref_ious else None),
                easy=(shares.get('easy') or {}).get(
                    'mean', meta.get('mean_easy_fraction_of_gt')),
                hard=(shares.get('hard') or {}).get(
                    'mean', meta.get('mean_hard_fraction_of_gt')),
                missed=(shares.get('missed') or {}).get(
                    'mean', meta.get('mean_missed_fraction_of_gt'))))
    return rows


def per_image(fold_dir: str, variant: str) -> Optional[Dict[str, dict]]:
    """``{img_path: row}`` of a finished fold's per-image CSV (or None)."""
    name = 'per_image.csv' if variant == 'model' else \
        f'per_image_{variant}.csv'
    path = osp.join(fold_dir, name)
    if not osp.isfile(osp.join(fold_dir, FOLD_DONE)) or not osp.isfile(path):
        return None
    with open(path) as f:
        return {r['img_path']: r for r in csv.DictReader(f)}


def pixel_shift(runs: List[str], ref: str, variant: str) -> List[dict]:
    """Per group: mean FP / FN pixel change and Dice change by lesion-size
    tercile against ``ref``, over the test images of the shared units."""
    dirs = {run_name(r): r for r in runs}
    images: Dict[str, list] = OrderedDict()  # group -> (area, dfp, dfn, dd)
    for (group, seed), path in dirs.items():
        if group == ref or (ref, seed) not in dirs:
            continue
        for fold_dir in sorted(glob.glob(osp.join(path, 'fold_*'))):
            other = per_image(fold_dir, variant)
            base = per_image(osp.join(dirs[ref, seed],
                                      osp.basename(fold_dir)), variant)
            if other is None or base is None:
                continue
            if set(other) != set(base):
                raise SystemExit(f'{fold_dir}: its test images differ from '
                                 f'{ref} seed {seed} on the same fold; '
                                 'compare runs of one split')
            for img, r in base.items():
                o = other[img]
                images.setdefault(group, []).append((
                    int(r['tp']) + int(r['fn']),
                    int(o['fp']) - int(r['fp']), int(o['fn']) - int(r['fn']),
                    float(o['Dice']) - float(r['Dice'])))
    if not images:
        return []
    areas = np.concatenate([np.asarray(v)[:, 0] for v in images.values()])
    cuts = np.quantile(areas, [1 / 3, 2 / 3])
    rows = []
    for group, values in images.items():
        v = np.asarray(values, dtype=float)
        size = np.digitize(v[:, 0], cuts)  # 0 small, 1 medium, 2 large
        rows.append(dict(
            group=group, images=len(v), fp=v[:, 1].mean(),
            fn=v[:, 2].mean(), cuts=cuts.tolist(),
            dice_by_size=[v[size == k, 3].mean() if (size == k).any()
                          else None for k in range(3)]))
    return rows


def report(runs: List[str], ref: str, metrics: List[str],
           variant: str = 'model',
           with_pixel_shift: bool = False) -> Tuple[str, dict]:
    """The Markdown report and its numbers."""
    groups = load_groups(runs, variant)
    if ref not in groups:
        raise SystemExit(f'--ref {ref!r} is not among the groups with a '
                         f'finished fold: {sorted(groups)}')
    lines, data = [], dict(groups={}, paired={}, teachers=[])
    main = metrics[0]
    # every group's mean +- std over units
    cols = [m for m in metrics] + [m for m in ('Precision', 'Sensitivity')
                                   if m not in metrics]
    lines += ['### Runs (mean +- std over fold x seed units, %)', '',
              '| group | units | ' + ' | '.join(cols) + ' |',
              '|---|---|' + '---|' * len(cols)]
    for g, units in groups.items():
        row = {c: mean_std(u[c] for u in units.values() if c in u)
               for c in cols}
        data['groups'][g] = dict(units=len(units),
                                 **{c: row[c] for c in cols})
        lines.append(f'| {g} | {len(units)} | ' + ' | '.join(
            fmt(*row[c]) for c in cols) + ' |')
    lines.append('')
    # paired differences, summary
    others = [g for g in groups if g != ref]
    lines += [f'### Paired differences against {ref} (points; mean +- std '
              'over units; units with a positive difference)', '',
              '| group | units | ' + ' | '.join(
                  f'delta {m}' for m in metrics) + f' | {main} positive | '
              f'95% interval of delta {main} |',
              '|---|---|' + '---|' * (len(metrics) + 2)]
    for g in others:
        sums = {m: paired_summary(paired(groups[ref], groups[g], m))
                for m in metrics}
        data['paired'][g] = sums
        n = sums[main]['n']
        lines.append(f'| {g} - {ref} | {n} | ' + ' | '.join(
            fmt(sums[m]['mean'], sums[m]['std'], sign=True)
            for m in metrics) + f' | {sums[main]["positive"]} / {n} | '
            f'{fmt_ci(sums[main]["ci95"])} |')
    lines.append('')
    # per unit detail of the main metric
    for g in others:
        pairs = paired(groups[ref], groups[g], main)
        if not pairs:
            continue
        lines += [f'#### {g} - {ref}: {main} per fold and seed (%)', '',
                  f'| fold | seed | {ref} | {g} | difference |',
                  '|---|---|---|---|---|']
        for (fold, seed), r, o in pairs:
            lines.append(f'| {fold} | {seed} | {100 * r:.1f} | '
                         f'{100 * o:.1f} | {100 * (o - r):+.1f} |')
        s = data['paired'][g][main]
        lines += [f'| **mean +- std** | | | | **{fmt(s["mean"], s["std"], sign=True)}**'
                  f' ({s["positive"]} / {s["n"]} positive) |', '']
    # normal images
    if any('normal_num_images' in u for units in groups.values()
           for u in units.values()):
        ref_fp = mean_std(u['normal_fp_pixels'] for u in
                          groups[ref].values() if 'normal_fp_pixels' in u)[0]
        lines += ['### Normal (lesion-free) test images', '',
                  '| group | units | predicted clean (all units) | '
                  'FP pixels per normal image | vs ' + ref + ' | paired FP '
                  'pixels - ' + ref + ' (units with fewer) | '
                  'lesion-only Dice |', '|---|---|---|---|---|---|---|']
        for g, units in groups.items():
            us = [u for u in units.values() if 'normal_num_images' in u]
            if not us:
                continue
            clean = sum(int(u['normal_num_clean']) for u in us)
            total = sum(int(u['normal_num_images']) for u in us)
            fp = mean_std(u['normal_fp_pixels'] for u in us)
            rel = ('-' if not ref_fp or fp[0] is None else
                   f'{100 * (fp[0] / ref_fp - 1):+.0f}%')
            lesion = mean_std(u['lesion_Dice'] for u in us
                              if 'lesion_Dice' in u)
            fp_pairs = paired(groups[ref], units, 'normal_fp_pixels')
            dfp = paired_summary(fp_pairs)
            data['groups'][g].update(normal_clean=clean, normal_total=total,
                                     normal_fp_pixels=fp)
            if g != ref:
                data['paired'].setdefault(g, {})['normal_fp_pixels'] = dfp
            fewer = sum(x < 0 for x in dfp['diffs'])
            dfp_txt = ('-' if g == ref or not fp_pairs else
                       f'{fmt(dfp["mean"], dfp["std"], scale=1, digits=0, sign=True)}'
                       f' ({fewer} / {dfp["n"]})')
            lines.append(f'| {g} | {len(us)} | {clean} / {total} '
                         f'({100 * clean / max(total, 1):.0f}%) | '
                         f'{fmt(*fp, scale=1, digits=0)} | {rel} | '
                         f'{dfp_txt} | {fmt(*lesion)} |')
        lines.append('')
    if with_pixel_shift:
        rows = pixel_shift(runs, ref, variant)
        data['pixel_shift'] = rows
        if rows:
            small, large = rows[0]['cuts']
            lines += [f'### Where the predictions move (per test image, '
                      f'against {ref})', '',
                      f'Lesion size terciles (GT pixels): small < {small:.0f}'
                      f' <= medium < {large:.0f} <= large.', '',
                      f'| group - {ref} | images | mean FP pixel change | '
                      'mean missed-pixel change | Dice change small / '
                      'medium / large (points) |', '|---|---|---|---|---|']
            for r in rows:
                by_size = ' / '.join('-' if d is None else f'{100 * d:+.1f}'
                                     for d in r['dice_by_size'])
                lines.append(f'| {r["group"]} | {r["images"]} | '
                             f'{r["fp"]:+.0f} | {r["fn"]:+.0f} | {by_size} |')
            lines.append('')
    # teachers
    ref_runs = [r for r in runs if run_name(r)[0] == ref]
    rows = teacher_rows(runs, ref_runs)
    data['teachers'] = rows
    if rows:
        lines += ['### Curriculum teachers (U-Net++ per fold)', '',
                  f'| fold | mined in | teacher val IoU | {ref} best val IoU '
                  '| E_p share | H_p share | missed share |',
                  '|---|---|---|---|---|---|---|']
        weak = []
        for r in sorted(rows, key=lambda r: (r['fold'], r['run'])):
            def p(v):
                return '-' if v is None else f'{100 * v:.1f}'
            lines.append(f'| {r["fold"]} | {r["run"]} | '
                         f'{p(r["teacher_val_IoU"])} | {p(r["ref_val_IoU"])}'
                         f' | {p(r["easy"])} | {p(r["hard"])} | '
                         f'{p(r["missed"])} |')
            if None not in (r['teacher_val_IoU'], r['ref_val_IoU']) and \
                    r['teacher_val_IoU'] < r['ref_val_IoU']:
                weak.append(r['fold'])
        lines.append('')
        if weak:
            lines += [f'**Warning:** on folds {sorted(set(weak))} the teacher '
                      f"scores below {ref}'s best val IoU: the curriculum "
                      'comes from a weaker model than the student baseline.',
                      '']
    return '\n'.join(lines), data


def main(argv=None):
    args = parse_args(argv)
    text, data = report(args.runs, args.ref, args.metrics, args.variant,
                        args.pixel_shift)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
        with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
            json.dump(data, f, indent=1, default=str)
    return data


if __name__ == '__main__':
    main()
