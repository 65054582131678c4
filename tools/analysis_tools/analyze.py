"""Pictures from work dirs: curves, best/median/worst cases, curriculum, gamma.

For every given work dir (a ``tools/train.py`` run, or a ``tools/cross_val.py``
dir, whose folds are all analysed) this writes into ``<dir>/analysis`` (or
``--out``):

* ``losses.png``, ``val_metrics.png`` and, for ASSGAN,
  ``accepted_pseudo_labels.png`` (pseudo-labels accepted per epoch by each
  generator, the paper's Fig. 5 quantity), from the logged scalars;
* ``cases[_<variant>].png``: the best, median and worst test cases by
  per-image Dice, as overlays with ground-truth (green) and predicted (red)
  contours (needs ``tools/test.py --csv ... --show-dir <dir>/test_vis`` (or
  ``<dir>/overlays``), which ``tools/cross_val.py`` and ``make demo`` do);
* ``curriculum.png``: TaiChiNet's easy (E_p) and hard (H_p) lesion parts
  beside the ground truth for a few images (a ``curriculum/`` folder of
  ``tools/misc/prepare_curriculum.py``, or one given with ``--curriculum``).

With ``--gamma-sweep`` the dirs are ASSGAN runs that differ in gamma, and
``gamma_sweep.png`` (test IoU vs gamma, Fig. 7) plus ``gamma_sweep.md`` are
written to ``--out``.

Examples::

    python tools/analysis_tools/analyze.py work_dirs/cv/assgan_busi-cpu128_15pct
    python tools/analysis_tools/analyze.py work_dirs/cv/gamma_0.1 work_dirs/cv/gamma_0.5 \\
        work_dirs/cv/gamma_0.9 --gamma-sweep --out work_dirs/gamma_sweep
"""
import argparse
import csv
import glob
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

import numpy as np

from bus_mm.visualization.curves import (case_grid, curriculum_grid,
                                         plot_gamma_sweep,
                                         plot_training_curves)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Curves and pictures from bus_mm work dirs')
    parser.add_argument('work_dirs', nargs='+',
                        help='train / test / cross-validation work dirs')
    parser.add_argument('--out', help='output folder (default: '
                        '<work_dir>/analysis; required with --gamma-sweep)')
    parser.add_argument('--gamma-sweep', action='store_true',
                        help='the dirs are ASSGAN runs differing in gamma: '
                        'plot test IoU/Dice vs gamma')
    parser.add_argument('--table', action='store_true',
                        help='the dirs are cross-validation dirs: write one '
                        'results table (mean +- std over folds) of all of '
                        'them to <out>/results.md (or print it)')
    parser.add_argument('--cases', type=int, default=3,
                        help='cases per row of the best/median/worst grid')
    parser.add_argument('--curriculum', help='a prepare_curriculum.py output '
                        'folder (default: <work_dir>/curriculum if present)')
    parser.add_argument('--curriculum-images', type=int, default=4,
                        help='images in the curriculum picture')
    return parser.parse_args(argv)


# ------------------------------------------------------------------ cases
def _variant_of(csv_path: str) -> str:
    m = re.match(r'per_image_(.+)\.csv$', osp.basename(csv_path))
    return m.group(1) if m else ''


def read_case_scores(csv_path: str, metric: str = 'Dice') -> Dict[str, float]:
    """``{image stem: metric}`` from a BUSMetric per-image CSV."""
    scores = {}
    with open(csv_path, newline='') as f:
        for row in csv.DictReader(f):
            stem = osp.splitext(osp.basename(row['img_path']))[0]
            scores[stem] = float(row[metric])
    return scores


def find_overlays(show_dir: str) -> Dict[str, str]:
    """``{image stem: overlay PNG}`` (overlay names are sample ids with
    ``/`` written as ``__``)."""
    return {osp.splitext(f)[0].split('__')[-1]: osp.join(show_dir, f)
            for f in os.listdir(show_dir) if f.endswith('.png')}


SHOW_DIRS = ('test_vis', 'overlays')


def write_cases(work_dir: str, out_dir: str, per_group: int) -> List[str]:
    written = []
    for path in sorted(glob.glob(osp.join(work_dir, 'per_image*.csv'))):
        variant = _variant_of(path)
        # cross_val.py writes overlays to test_vis/, make demo to overlays/
        dirs = [osp.join(work_dir, d, variant) for d in SHOW_DIRS]
        show_dir = next((d for d in dirs if osp.isdir(d)), dirs[0])
        if not osp.isdir(show_dir):
            print(f'  {path}: no overlays in {show_dir}; skipped the case '
                  'grid (run tools/test.py with --show-dir there)')
            continue
        name = f'cases_{variant}.png' if variant else 'cases.png'
        written.append(case_grid(read_case_scores(path),
                                 find_overlays(show_dir),
                                 osp.join(out_dir, name), per_group))
    return written


# ------------------------------------------------------------- curriculum
def write_curriculum(cur_dir: str, out_file: str, num: int) -> str:
    """Image | GT | E_p | H_p for the ``num`` largest-lesion mined images
    spread over the list (deterministic)."""
    import cv2
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    import bus_mm  # noqa: F401
    from bus_mm.datasets.mask_io import read_union_mask
    meta_file = osp.join(cur_dir, 'curriculum_meta.json')
    if not osp.isfile(meta_file):
        raise SystemExit(f'{cur_dir} has no curriculum_meta.json; give a '
                         'folder written by tools/misc/prepare_curriculum.py')
    with open(meta_file) as f:
        meta = json.load(f)
    init_default_scope('mmseg')
    dataset = DATASETS.build(dict(type=meta['dataset'],
                                  data_root=meta['data_root'], split=None,
                                  split_part='all', pipeline=[]))
    infos = {dataset.get_data_info(i)['sample_id']: dataset.get_data_info(i)
             for i in range(len(dataset))}
    ids = [s for s in meta['sample_ids'] if s in infos
           and infos[s].get('mask_paths')]
    if not ids:
        raise SystemExit(f'none of the mined images of {cur_dir} was found '
                         f'under {meta["data_root"]}')
    picks = [ids[int(i)] for i in np.linspace(0, len(ids) - 1,
                                              min(num, len(ids)))]
    samples = []
    for sid in picks:
        info = infos[sid]
        img = cv2.imread(info['img_path'], cv2.IMREAD_COLOR)
        gt = read_union_mask(info['mask_paths'], img_path=info['img_path'],
                             img_shape=img.shape[:2])
        easy = cv2.imread(osp.join(cur_dir, 'easy', sid + '.png'),
                          cv2.IMREAD_GRAYSCALE)
        hard = cv2.imread(osp.join(cur_dir, 'hard', sid + '.png'),
                          cv2.IMREAD_GRAYSCALE)
        samples.append((osp.basename(sid), img, gt, easy, hard))
    return curriculum_grid(samples, out_file)


# ------------------------------------------------------------ gamma sweep
def run_metrics(work_dir: str) -> Dict[str, Dict[str, float]]:
    """``{variant: metrics}``: cross-validation means, else test metrics."""
    summary = osp.join(work_dir, 'cv_summary.json')
    if osp.isfile(summary):
        with open(summary) as f:
            return {v: s['mean'] for v, s in json.load(f)['summary'].items()}
    path = osp.join(work_dir, 'test_metrics.json')
    if osp.isfile(path):
        with open(path) as f:
            return json.load(f)['metrics']
    raise SystemExit(f'{work_dir}: no cv_summary.json or test_metrics.json; '
                     'test the run first (tools/test.py or tools/cross_val.py)')


def run_gate(work_dir: str) -> Tuple[str, float]:
    """Gate type and gamma of the ASSGAN run in ``work_dir`` (from its
    dumped config)."""
    from mmengine.config import Config
    dirs = [work_dir] + sorted(glob.glob(osp.join(work_dir, 'fold_*')))
    for d in dirs:
        for cfg_file in sorted(glob.glob(osp.join(d, '*.py'))):
            cfg = Config.fromfile(cfg_file)
            if cfg.get('model', {}).get('type') == 'ASSGAN':
                gate = cfg.model.get('gate')
                gate = gate if isinstance(gate, dict) else {}
                kind = gate.get('type', 'AgreementGate')
                if gate.get('quantile'):
                    kind += '(quantile)'
                return kind, float(gate.get('gamma', 0.2))
    raise SystemExit(f'{work_dir}: no dumped ASSGAN config found to read '
                     'gamma from (train.py writes one into the work dir)')


def run_gamma(work_dir: str) -> float:
    """gamma of the ASSGAN run in ``work_dir`` (from its dumped config)."""
    return run_gate(work_dir)[1]


def gamma_sweep(work_dirs: List[str], out_dir: str) -> Tuple[str, str]:
    points = []
    rows = []
    for wd in work_dirs:
        gamma, metrics = run_gamma(wd), run_metrics(wd)
        series = {f'{v} IoU': m['IoU'] for v, m in metrics.items()
                  if 'IoU' in m}
        points.append((gamma, series))
        rows.append((gamma, wd, metrics))
    png = plot_gamma_sweep(points, osp.join(out_dir, 'gamma_sweep.png'))
    variants = sorted({v for _, _, m in rows for v in m})
    md = osp.join(out_dir, 'gamma_sweep.md')
    with open(md, 'w') as f:
        f.write('| gamma | ' + ' | '.join(f'{v} IoU' for v in variants) +
                ' | run |\n|---|' + '---|' * len(variants) + '---|\n')
        for gamma, wd, m in sorted(rows, key=lambda r: r[0]):
            f.write(f'| {gamma:g} | ' + ' | '.join(
                f'{m[v]["IoU"]:.4f}' if v in m else '-' for v in variants) +
                f' | {wd} |\n')
    return png, md


# ------------------------------------------------------------ results table
TABLE_METRICS = ('Dice', 'IoU', 'Precision', 'Sensitivity', 'Specificity',
                 'Acc')


def results_table(work_dirs: List[str]) -> str:
    """One markdown row per (cross-validation dir, variant), in percent."""
    lines = ['| run | model | folds | ' + ' | '.join(TABLE_METRICS) + ' |',
             '|---|---|---|' + '---|' * len(TABLE_METRICS)]
    for wd in work_dirs:
        path = osp.join(wd, 'cv_summary.json')
        if not osp.isfile(path):
            print(f'{wd}: no cv_summary.json (not a finished '
                  'cross-validation); left out of the table')
            continue
        with open(path) as f:
            summary = json.load(f)['summary']
        for variant, s in summary.items():
            cells = []
            for m in TABLE_METRICS:
                if m not in s['mean']:
                    cells.append('-')
                    continue
                std = s['std'].get(m)
                cells.append(f'{100 * s["mean"][m]:.2f}' + (
                    f' +- {100 * std:.2f}' if std is not None else ''))
            lines.append(f'| {osp.basename(osp.normpath(wd))} | {variant} | '
                         f'{",".join(str(x) for x in s["folds"])} | ' +
                         ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


# -------------------------------------------------------------------- main
def analyze_run(work_dir: str, out_dir: str, args) -> List[str]:
    from bus_mm.visualization.gate_audit import plot_gate_audit
    written = plot_training_curves(work_dir, out_dir)
    if osp.isfile(osp.join(work_dir, 'gate_audit.jsonl')):
        gate, gamma = run_gate(work_dir)
        # only the paper's DiscriminatorGate reads gamma as a score; the
        # other gates read it as a share of recent scores: no threshold line
        written += plot_gate_audit(
            work_dir, out_dir,
            gamma=gamma if gate == 'DiscriminatorGate' else None)
    written += write_cases(work_dir, out_dir, args.cases)
    cur = args.curriculum or osp.join(work_dir, 'curriculum')
    if osp.isfile(osp.join(cur, 'curriculum_meta.json')):
        written.append(write_curriculum(cur, osp.join(out_dir,
                                                      'curriculum.png'),
                                        args.curriculum_images))
    return written


def main(argv=None):
    args = parse_args(argv)
    for wd in args.work_dirs:
        if not osp.isdir(wd):
            raise SystemExit(f'work dir not found: {wd}')
    if args.table:
        table = results_table(args.work_dirs)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            path = osp.join(args.out, 'results.md')
            with open(path, 'w') as f:
                f.write(table)
            print(f'wrote {path}')
        print(table)
        return
    if args.gamma_sweep:
        if not args.out:
            raise SystemExit('--gamma-sweep needs --out (a folder for '
                             'gamma_sweep.png)')
        for path in gamma_sweep(args.work_dirs, args.out):
            print(f'wrote {path}')
        return
    for wd in args.work_dirs:
        folds = sorted(glob.glob(osp.join(wd, 'fold_*')))
        runs = [f for f in folds if osp.isdir(f)] or [wd]
        for run in runs:
            out: Optional[str] = args.out
            out = (osp.join(out, osp.basename(run)) if out and folds else
                   out or osp.join(run, 'analysis'))
            written = analyze_run(run, out, args)
            if not written:
                print(f'{run}: nothing to draw (no logged scalars, per-image '
                      'CSV or curriculum masks)')
            for path in written:
                print(f'wrote {path}')


if __name__ == '__main__':
    main()
