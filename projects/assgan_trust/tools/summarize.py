"""Tables of the trust-rule study: test IoU per unit, paired differences and
what each gate accepted.

Reads a study folder written by ``run_study.sh`` (``<arm>-s<seed>/fold_<k>``
with ``cv_fold_metrics.json``, ``gate_audit.jsonl`` and the training log's
``vis_data/scalars.json``) and prints Markdown:

* per arm, test per-image IoU (%) of generator A, generator B and their mean,
  mean +- std over the units the arm finished;
* paired differences (points) against ``--ref`` arms, over the units both
  finished, with how many are positive;
* the gate audit of the semi-supervised phase: share of pseudo-labels that
  taught (weight > 0), the true IoU of those against the rejected ones, the
  Spearman correlation of the gate's score with the true IoU, and the
  generators' agreement (``pair_iou``) at the start and the end of the phase.

    python projects/assgan_trust/tools/summarize.py WORK [--ref sup accept-all]
"""
import argparse
import glob
import json
import os.path as osp
import re
from collections import defaultdict

import numpy as np
from scipy.stats import spearmanr

RUN_RE = re.compile(r'^(?P<arm>.+)-s(?P<seed>\d+)$')
VARIANTS = ('generator_a', 'generator_b', 'mean')


def load_runs(work: str):
    """``{arm: {(fold, seed): fold_dir}}`` of the finished folds."""
    runs = defaultdict(dict)
    for fold_dir in sorted(glob.glob(osp.join(work, '*-s*', 'fold_*'))):
        m = RUN_RE.match(osp.basename(osp.dirname(fold_dir)))
        if m is None or not osp.isfile(
                osp.join(fold_dir, 'cv_fold_metrics.json')):
            continue
        fold = int(fold_dir.rsplit('_', 1)[1])
        runs[m['arm']][(fold, int(m['seed']))] = fold_dir
    return runs


def test_iou(fold_dir: str) -> dict:
    """Test per-image IoU (%) of each variant; a one-network arm (UniMatch,
    whose student is generator A's network) fills the G_a column."""
    with open(osp.join(fold_dir, 'cv_fold_metrics.json')) as f:
        metrics = json.load(f)['metrics']
    if 'model' in metrics:  # tools/test.py's key for a one-network model
        return {'generator_a': 100 * metrics['model']['IoU']}
    return {v: 100 * metrics[v]['IoU'] for v in VARIANTS if v in metrics}


def audit(fold_dir: str) -> dict:
    """Gate audit figures of one run (empty without an audit)."""
    path = osp.join(fold_dir, 'gate_audit.jsonl')
    out = {}
    if osp.isfile(path):
        with open(path) as f:
            rows = [json.loads(line) for line in f]
        if rows:
            iou = np.array([r['iou'] for r in rows])
            acc = np.array([bool(r['accepted']) for r in rows])
            score = np.array([np.nan if r['score'] is None else r['score']
                              for r in rows], dtype=float)
            out['taught'] = 100 * acc.mean()
            out['iou_taught'] = 100 * iou[acc].mean() if acc.any() else np.nan
            out['iou_rejected'] = 100 * iou[~acc].mean() \
                if (~acc).any() else np.nan
            ok = ~np.isnan(score)
            out['rho'] = spearmanr(score[ok], iou[ok])[0] \
                if ok.sum() > 2 else np.nan
    scalars = glob.glob(osp.join(fold_dir, '*', 'vis_data', 'scalars.json'))
    pair = []
    for path in scalars:
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'pair_iou' in rec:
                    pair.append((rec.get('iter', 0), rec['pair_iou']))
    if pair:
        pair.sort()
        out['pair_start'] = 100 * pair[0][1]
        out['pair_end'] = 100 * pair[-1][1]
    return out


def fmt(values) -> str:
    values = [v for v in values if not np.isnan(v)]
    if not values:
        return '–'
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{np.mean(values):.1f} ± {np.std(values, ddof=1):.1f}'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work', help='the study folder')
    parser.add_argument('--ref', nargs='+', default=['sup', 'accept-all'],
                        help='arms to take paired differences against')
    parser.add_argument('--arms', nargs='+',
                        help='only these arms (default: every arm)')
    parser.add_argument('--seeds', nargs='+', type=int,
                        help='only the units of these training seeds (one '
                        'protocol for every row of a table)')
    args = parser.parse_args(argv)
    runs = {arm: {u: d for u, d in units.items()
                  if args.seeds is None or u[1] in args.seeds}
            for arm, units in load_runs(args.work).items()
            if args.arms is None or arm in args.arms}
    runs = {arm: units for arm, units in runs.items() if units}
    if not runs:
        raise SystemExit(f'{args.work}: no finished fold of any arm')
    iou = {arm: {u: test_iou(d) for u, d in units.items()}
           for arm, units in runs.items()}
    print('| arm | units | G_a | G_b | mean of A and B |\n|---|---|---|---|---|')
    for arm in sorted(iou):
        units = iou[arm]
        print(f'| {arm} | {len(units)} | ' + ' | '.join(
            fmt([r.get(v, np.nan) for r in units.values()])
            for v in VARIANTS) + ' |')
    for ref in args.ref:
        if ref not in iou:
            continue
        print(f'\nPaired differences against {ref} (points; mean ± std over '
              'the shared units; units > 0):\n')
        print('| arm | units | G_a | G_b | mean of A and B |\n'
              '|---|---|---|---|---|')
        for arm in sorted(iou):
            if arm == ref:
                continue
            shared = sorted(set(iou[arm]) & set(iou[ref]))
            if not shared:
                continue
            cells = []
            for v in VARIANTS:
                d = [iou[arm][u].get(v, np.nan) - iou[ref][u].get(v, np.nan)
                     for u in shared]
                cells.append(f'{fmt(d)} ({sum(x > 0 for x in d)}/'
                             f'{len(d)})')
            print(f'| {arm} | {len(shared)} | ' + ' | '.join(cells) + ' |')
    print('\nPer unit, G_a test IoU (%):\n')
    units = sorted({u for a in iou.values() for u in a})
    print('| arm | ' + ' | '.join(f'f{f} s{s}' for f, s in units) + ' |\n|---|'
          + '---|' * len(units))
    for arm in sorted(iou):
        print(f'| {arm} | ' + ' | '.join(
            f'{iou[arm][u]["generator_a"]:.1f}' if u in iou[arm] else '–'
            for u in units) + ' |')
    print('\nGate audit of the semi-supervised phase (mean over units; %, rho '
          'dimensionless):\n')
    print('| arm | taught | IoU taught | IoU rejected | rho(score, IoU) | '
          'pair IoU start → end |\n|---|---|---|---|---|---|')
    for arm in sorted(runs):
        figs = [audit(d) for d in runs[arm].values()]
        figs = [f for f in figs if f]
        if not figs:
            continue
        col = {k: [f.get(k, np.nan) for f in figs] for k in (
            'taught', 'iou_taught', 'iou_rejected', 'rho', 'pair_start',
            'pair_end')}
        rho = [r for r in col['rho'] if not np.isnan(r)]
        print(f'| {arm} | {fmt(col["taught"])} | {fmt(col["iou_taught"])} | '
              f'{fmt(col["iou_rejected"])} | '
              f'{np.mean(rho):.2f} |' if rho else
              f'| {arm} | {fmt(col["taught"])} | {fmt(col["iou_taught"])} | '
              f'{fmt(col["iou_rejected"])} | – |', end='')
        print(f' {fmt(col["pair_start"])} → {fmt(col["pair_end"])} |')


if __name__ == '__main__':
    main()
