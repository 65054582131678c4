"""Cross-validation summaries: per-fold metrics -> mean +- std tables.

``tools/cross_val.py`` collects, for every finished fold, the metrics that
``tools/test.py`` reported for each evaluated *variant* (``model`` for a
plain segmentor; ``generator_a`` / ``generator_b`` / ``mean`` for ASSGAN) and
writes them with :func:`write_cv_summary` as ``cv_summary.json`` (everything),
``cv_summary.csv`` (one row per variant and fold, plus ``mean`` and ``std``
rows) and ``cv_summary.md`` (the TaiChiNet Tables I-IV style: percent,
mean +- std).

The std is the sample standard deviation over folds (``ddof=1``); with a
single fold it is undefined and written as ``null`` / empty / ``-``.

When the test folds hold normal images (BUSMetric's ``normal_*`` figures),
the Markdown adds a second table per variant: normal images predicted clean
(count and share), false-positive pixels per normal image, and the Dice/IoU
over the lesion images only.
"""
import csv
import json
import math
import os.path as osp
from typing import Dict, List, Mapping, Optional

import numpy as np

# Column order of the tables; other numeric metrics follow alphabetically.
MAIN_METRICS = ('Dice', 'IoU', 'Acc', 'Precision', 'Sensitivity',
                'Specificity')

FoldMetrics = Mapping[int, Mapping[str, Mapping[str, float]]]


def _metric_names(per_fold: FoldMetrics, variant: str) -> List[str]:
    names = set()
    for metrics in per_fold.values():
        names.update(k for k, v in metrics.get(variant, {}).items()
                     if isinstance(v, (int, float)) and not isinstance(v, bool))
    main = [m for m in MAIN_METRICS if m in names]
    return main + sorted(names - set(main))


def summarize_folds(per_fold: FoldMetrics) -> Dict[str, dict]:
    """Mean and std over folds of every metric of every variant.

    Args:
        per_fold: ``{fold: {variant: {metric: value}}}``.

    Returns:
        dict: ``{variant: {'folds': [fold, ...], 'metrics': [names],
        'per_fold': {fold: {metric: value}}, 'mean': {metric: value},
        'std': {metric: value or None}}}``. A metric missing in some fold is
        averaged over the folds that have it.
    """
    if not per_fold:
        raise ValueError('no finished fold to summarize')
    variants: List[str] = []
    for metrics in per_fold.values():
        variants += [v for v in metrics if v not in variants]
    summary = {}
    for variant in variants:
        folds = sorted(f for f in per_fold if variant in per_fold[f])
        names = _metric_names(per_fold, variant)
        mean, std = {}, {}
        for name in names:
            values = np.array([float(per_fold[f][variant][name]) for f in folds
                               if name in per_fold[f][variant]])
            mean[name] = float(values.mean())
            std[name] = (float(values.std(ddof=1)) if len(values) > 1
                         else None)
        summary[variant] = dict(
            folds=folds, metrics=names,
            per_fold={f: {n: float(per_fold[f][variant][n]) for n in names
                          if n in per_fold[f][variant]} for f in folds},
            mean=mean, std=std)
    return summary


def _pct(value: Optional[float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    return f'{100 * value:.2f}'


NORMAL_COLUMNS = ('normal_clean', 'normal_fp_pixels', 'lesion_Dice',
                  'lesion_IoU')


def _normal_table(s: dict) -> List[str]:
    """Rows of the normal-image table of one variant's summary."""
    def cell(row: Mapping[str, float], name: str) -> str:
        v = row.get(name)
        if v is None:
            return '-'
        return f'{v:.1f}' if name == 'normal_fp_pixels' else _pct(v)

    lines = ['| fold | normal images clean | clean % | FP pixels per normal '
             'image | lesion-only Dice | lesion-only IoU |',
             '|---|---|---|---|---|---|']
    clean = total = 0
    for f in s['folds']:
        row = s['per_fold'][f]
        n, c = row.get('normal_num_images'), row.get('normal_num_clean')
        if n is not None and c is not None:
            clean, total = clean + int(c), total + int(n)
        lines.append(f'| {f} | ' + (f'{int(c)} / {int(n)}' if n is not None
                                    and c is not None else '-') + ' | ' +
                     ' | '.join(cell(row, k) for k in NORMAL_COLUMNS) + ' |')

    def mean_std(name):
        m, sd = s['mean'].get(name), s['std'].get(name)
        if m is None:
            return '-'
        if name == 'normal_fp_pixels':
            return f'{m:.1f}' + (f' +- {sd:.1f}' if sd is not None else '')
        return _pct(m) + (f' +- {_pct(sd)}' if sd is not None else '')

    lines.append(f'| **all folds / mean +- std** | {clean} / {total} | ' +
                 ' | '.join(mean_std(k) for k in NORMAL_COLUMNS) + ' |')
    return lines


def format_markdown(summary: Dict[str, dict], title: str = '') -> str:
    """Markdown tables (percent): one per variant, folds then mean +- std,
    and a normal-image table when the folds report ``normal_*`` figures."""
    lines = [f'# {title}', ''] if title else []
    for variant, s in summary.items():
        names = [n for n in s['metrics'] if n in MAIN_METRICS] or s['metrics']
        lines += [f'## {variant} ({len(s["folds"])} folds)', '',
                  '| fold | ' + ' | '.join(names) + ' |',
                  '|---|' + '---|' * len(names)]
        for f in s['folds']:
            row = s['per_fold'][f]
            lines.append(f'| {f} | ' + ' | '.join(
                _pct(row.get(n)) for n in names) + ' |')
        lines.append('| **mean +- std** | ' + ' | '.join(
            _pct(s['mean'][n]) + (f' +- {_pct(s["std"][n])}'
                                  if s['std'][n] is not None else '')
            for n in names) + ' |')
        lines.append('')
        if 'normal_num_images' in s['metrics']:
            lines += [f'### {variant}: normal images', '']
            lines += _normal_table(s) + ['']
    return '\n'.join(lines)


def write_cv_summary(per_fold: FoldMetrics, out_dir: str,
                     meta: Optional[dict] = None) -> Dict[str, str]:
    """Write ``cv_summary.{json,csv,md}`` into ``out_dir``.

    Args:
        per_fold: ``{fold: {variant: {metric: value}}}``.
        out_dir (str): Folder to write to (the cross-validation work dir).
        meta (dict, optional): Run description stored in the JSON (config,
            folds, seed, ...).

    Returns:
        dict: ``{'json': path, 'csv': path, 'md': path}``.
    """
    summary = summarize_folds(per_fold)
    paths = {ext: osp.join(out_dir, f'cv_summary.{ext}')
             for ext in ('json', 'csv', 'md')}
    with open(paths['json'], 'w') as f:
        json.dump(dict(meta=meta or {}, summary=summary), f, indent=1)
    names: List[str] = []
    for s in summary.values():
        names += [n for n in s['metrics'] if n not in names]
    with open(paths['csv'], 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['variant', 'fold'] + names)
        for variant, s in summary.items():
            for fold in s['folds']:
                writer.writerow([variant, fold] + [
                    s['per_fold'][fold].get(n, '') for n in names])
            for stat in ('mean', 'std'):
                writer.writerow([variant, stat] + [
                    '' if s[stat].get(n) is None else s[stat][n]
                    for n in names])
    title = (meta or {}).get('config', 'cross-validation')
    with open(paths['md'], 'w') as f:
        f.write(format_markdown(summary, title=f'Cross-validation: {title}'))
    return paths
