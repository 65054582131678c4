"""Record the finished units of the TaiChiNet paper-width study and write its
page.

The finished folds of the given work dirs join the ledger
``projects/taichinet_width/units.json`` (``ledger.py``); the page is written
from the ledger alone, so units that landed on another machine keep counting.

Example::

    python projects/taichinet_width/tools/render.py work_dirs/power32
    python projects/taichinet_width/tools/render.py work_dirs/power32 \
        work_dirs/power32-2400     # with the longer-schedule check
    python projects/taichinet_width/tools/render.py        # the ledger only
"""
import argparse
import importlib.util
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from ledger import (GROUPS, ITERS, LEDGER, METRICS, READOUTS,  # noqa: E402
                    ROOT, SUBSETS, load_ledger, save_ledger, units_of,
                    update_ledger)

PAGE = osp.join(ROOT, 'docs', 'studies', 'taichinet_paper-width_busi-dev.md')
UNITS = 10  # 5 folds x 2 seeds
LONG_UNITS = 5  # a longer schedule: seed 0 of every fold


def _paired_diff():
    """tools/analysis_tools/paired_diff.py as a module (its statistics)."""
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'paired_diff.py')
    spec = importlib.util.spec_from_file_location('paired_diff', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


pd = _paired_diff()


def fmt(*args, **kwargs) -> str:
    """paired_diff's number format, with a real plus-minus sign."""
    return pd.fmt(*args, **kwargs).replace(' +- ', ' ± ')


def cost_row(name: str, runs: List[dict]) -> List[str]:
    """A cost table row: mean minutes over the runs that trained in one
    go (a resumed run's time covers only its last part)."""
    whole = [r['seconds'] for r in runs if not r.get('resumed')]
    n = str(len(whole)) + (f' ({len(runs) - len(whole)} resumed, left out)'
                           if len(whole) < len(runs) else '')
    return [name, n, f'{np.mean(whole) / 60:.0f}' if whole else '-']


def table(head: List[str], rows: List[List[str]]) -> List[str]:
    """A Markdown table's lines, followed by an empty line."""
    return (['| ' + ' | '.join(head) + ' |',
             '|' + '---|' * len(head)] +
            ['| ' + ' | '.join(r) + ' |' for r in rows] + [''])


def render(ledger: dict) -> str:
    """The study page (Markdown) from the ledger alone.

    Args:
        ledger (dict): See :func:`update_ledger`.

    Returns:
        str: The page.
    """
    groups = {g: units_of(ledger, g) for g in GROUPS}
    n = {g: len(groups[g]) for g in GROUPS}
    ref = groups['model1']
    label = {'model1': 'Model 1 (U-Net_p)',
             'model7': 'Model 7 (both paths, no curriculum)',
             'tc-masked': 'TaiChiNet (Model 7 + curriculum)'}
    done = n['model1'] >= UNITS and n['tc-masked'] >= UNITS
    lines = [
        "# TaiChiNet at the paper's width on busi-dev (5 folds × 2 seeds)",
        '',
        "**Question.** At the paper's channel widths (sub-U-Nets "
        '32-64-128-256-512, 18.3M parameters as in Table I) is',
        'TaiChiNet better than its single U-Net (Model 1), by at least the '
        '+3 Dice that would make its two paths worth their',
        'cost (paper: +7.8 on BUSI), and does it draw fewer false positives '
        'on lesion-free images? The [width-8',
        'study](taichinet_power_study_busi-dev.md) found −0.6 ± 4.1 Dice; '
        'this one asks whether width was the reason.', '']
    schedules = long_schedules(ledger, groups)
    long_done = all(s['sum']['n'] >= LONG_UNITS for s in schedules.values())
    status = ('complete' if done and long_done and n['model7'] >= UNITS
              else 'in progress')
    lines += [
        f'**Status: {status}.** Finished units (of {UNITS}): Model 1 '
        f'{n["model1"]}, Model 7 {n["model7"]}, TaiChiNet {n["tc-masked"]}. '
        'The study runs in lanes: Model 1 and',
        f'TaiChiNet first, then both again at twice the schedule (seed 0 of '
        f'every fold, {LONG_UNITS} units), Model 7 last. This page is',
        'regenerated from the ledger of finished units as they land '
        '(`python projects/taichinet_width/tools/render.py',
        'WORK...`); every figure is over '
        + ('all of them.' if status == 'complete'
           else 'the units finished so far.'), '']
    lines += PROTOCOL.splitlines() + ['']
    # cost
    lines += ['## Cost', '', COST_INTRO, '']
    rows = [cost_row(label[g], list(groups[g].values())) for g in GROUPS
            if groups[g]]
    rows += [cost_row(f'{label[g]}, {iters} iterations',
                      list(s['units'][g].values()))
             for iters, s in schedules.items() for g in GROUPS
             if s['units'][g]]
    if ledger['teachers']:
        rows.append(cost_row('U-Net++ teacher (train + mine), once per fold',
                             list(ledger['teachers'].values())))
    lines += table(['run', 'runs', 'minutes'], rows)
    lines += [COST_OUTRO, '']
    # schedule
    lines += ['## Is 1200 iterations long enough?', '', SCHEDULE_INTRO, '']
    rows, late, total = [], 0, 0
    for g in GROUPS:
        for (fold, seed), u in sorted(groups[g].items()):
            rows.append([g, str(fold), str(seed), str(u['best_iter'])])
            total += 1
            late += in_last_tenth(u, ITERS)
    lines += table(['run', 'fold', 'seed', 'best iteration'], rows)
    lines += [f'{late} of {total} runs picked a checkpoint in the last 10%.',
              '', RISE_INTRO, '']
    rows = []
    for g in GROUPS:
        r = [u['val_rise'] for u in groups[g].values()
             if u.get('val_rise') is not None]
        if r:
            rows.append([label[g], str(len(r)), fmt(*pd.mean_std(r),
                                                    sign=True),
                         str(sum(x > 0 for x in r))])
    lines += table(['run', 'runs', 'val IoU rise (points)', 'runs rising'],
                   rows)
    lines += curve_table(groups, ITERS)
    lines += longer_schedule(schedules, groups)
    # results
    lines += ['## Results', '',
              'Test per-image figures in %, paired against Model 1 '
              '(the statistics of `tools/analysis_tools/paired_diff.py`):',
              '', '#### Runs (mean ± std over fold × seed units, %)', '']
    rows = []
    for g in GROUPS:
        if groups[g]:
            rows.append([g, str(n[g])] + [fmt(*pd.mean_std(
                u[m] for u in groups[g].values())) for m in METRICS])
    lines += table(['group', 'units'] + list(METRICS), rows)
    lines += ['#### Paired differences against model1 (points; mean ± std '
              'over units; units with a positive difference)', '']
    rows, sums = [], {}
    for g in GROUPS[1:]:
        s = {m: pd.paired_summary(pd.paired(ref, groups[g], m))
             for m in METRICS}
        sums[g] = s
        if not s['Dice']['n']:
            continue
        rows.append([f'{g} - model1', str(s['Dice']['n'])] + [
            fmt(s[m]['mean'], s[m]['std'], sign=True) for m in METRICS] +
            [f'{s["Dice"]["positive"]} / {s["Dice"]["n"]}',
             pd.fmt_ci(s['Dice']['ci95'])])
    lines += table(['group', 'units'] + [f'delta {m}' for m in METRICS] +
                   ['Dice positive', '95% interval of delta Dice'], rows)
    for g in GROUPS[1:]:
        pairs = pd.paired(ref, groups[g], 'Dice')
        if not pairs:
            continue
        s = sums[g]['Dice']
        lines += [f'##### {g} - model1: Dice per fold and seed (%)', '']
        rows = [[str(f), str(sd), f'{100 * r:.1f}', f'{100 * o:.1f}',
                 f'{100 * (o - r):+.1f}'] for (f, sd), r, o in pairs]
        rows.append(['**mean ± std**', '', '', '',
                     f'**{fmt(s["mean"], s["std"], sign=True)}** '
                     f'({s["positive"]} / {s["n"]} positive)'])
        lines += table(['fold', 'seed', 'model1', g, 'difference'], rows)
    lines += subset_table(ref, groups)
    lines += readout_table(groups['tc-masked'])
    # normal images
    lines += ['#### Normal (lesion-free) test images', '', NORMAL_INTRO, '']
    rows, ref_fp = [], pd.mean_std(u['normal_fp_pixels']
                                   for u in ref.values())[0]
    fp_sums = {}
    for g in GROUPS:
        us = list(groups[g].values())
        if not us:
            continue
        fp = pd.mean_std(u['normal_fp_pixels'] for u in us)
        rel = '-' if not ref_fp else f'{100 * (fp[0] / ref_fp - 1):+.0f}%'
        d = pd.paired_summary(pd.paired(ref, groups[g], 'normal_fp_pixels'))
        fp_sums[g] = d
        fewer = sum(x < 0 for x in d['diffs'])
        dtxt = '-' if g == 'model1' else (
            f'{fmt(d["mean"], d["std"], scale=1, digits=0, sign=True)} '
            f'({fewer} / {d["n"]})')
        rows.append([g, str(len(us)), clean(us),
                     fmt(*fp, scale=1, digits=0), rel, dtxt])
    lines += table(['group', 'units', 'predicted clean (all units)',
                    'FP pixels per normal image', 'vs model1',
                    'paired FP pixels - model1 (units with fewer)'], rows)
    # teachers
    lines += ['#### Curriculum teachers (U-Net++ per fold)', '']
    rows, any_again = [], False
    for fold, t in sorted(ledger['teachers'].items()):
        m1 = [u['best_val_IoU'] for (f, _), u in ref.items()
              if f == int(fold) and u.get('best_val_IoU') is not None]

        def p(v):
            return '-' if v is None else f'{100 * v:.1f}'
        rows.append([fold, t['mined_in'], p(t['val_IoU']),
                     p(np.mean(m1) if m1 else None), p(t['easy']),
                     p(t['hard']), p(t['missed'])])
        again = remined(ledger, fold)
        any_again = any_again or bool(again)
        for name, c in again:
            rows.append([fold, f're-mined, used by {name}', p(c['val_IoU']),
                         '', p(c['easy']), p(c['hard']), p(c['missed'])])
    lines += table(['fold', 'mined in', 'teacher val IoU',
                    'model1 best val IoU (mean of seeds)', 'E_p share',
                    'H_p share', 'missed share'], rows)
    if any_again:
        lines += [REMINED, '']
    lines += ['## Reading', ''] + reading(
        sums, fp_sums, groups,
        schedules[max(schedules)] if schedules else None)
    lines += ['', SOURCES]
    return '\n'.join(lines) + '\n'


def remined(ledger: dict, fold: str) -> List[tuple]:
    """The TaiChiNet units of a fold that trained on another mining of its
    teacher than the ledger's (the first teacher's work dir was lost and the
    same command mined it again): ``[('<group> seed <k>, ...', curriculum)]``
    per re-mine."""
    first = ledger['teachers'][fold].get('time')
    out = {}
    for g, units in sorted(ledger['runs'].items()):
        for key, u in units.items():
            c = u.get('curriculum')
            f, seed = key.split(':')
            if f == fold and c and c['time'] != first:
                out.setdefault(c['time'], ([], c))[0].append(
                    f'{g} seed {seed}')
    return [(', '.join(names), c) for names, c in out.values()]


def curve_table(groups: dict, iters: int) -> List[str]:
    """Mean val IoU of Model 1 and TaiChiNet at 12 evenly spaced validations,
    over the units whose logs the ledger holds for both (paired)."""
    ref, tc = groups['model1'], groups['tc-masked']
    keys = sorted(k for k in set(ref) & set(tc)
                  if ref[k].get('val_curve') and tc[k].get('val_curve'))
    steps = [str(iters * i // 12) for i in range(1, 13)]
    keys = [k for k in keys if all(st in ref[k]['val_curve'] and
                                   st in tc[k]['val_curve'] for st in steps)]
    if not keys:
        return []
    mean = {g: [100 * np.mean([u[k]['val_curve'][st] for k in keys])
                for st in steps] for g, u in (('model1', ref),
                                              ('tc-masked', tc))}
    rows = [[g, *[f'{v:.1f}' for v in mean[g]]] for g in mean]
    rows.append(['tc-masked - model1', *[
        f'{b - a:+.1f}' for a, b in zip(mean['model1'], mean['tc-masked'])]])
    gap = [b - a for a, b in zip(mean['model1'], mean['tc-masked'])]
    return [CURVE_INTRO.format(n=len(keys), switch=iters // 2), ''] + table(
        ['val IoU (%) at iteration'] + steps, rows) + [
        f'TaiChiNet − Model 1 in val IoU: {np.mean(gap[:6]):+.1f} points '
        f'on the easy stage (to {steps[5]}), {np.mean(gap[6:9]):+.1f} '
        f'after the switch ({steps[6]}-{steps[8]}), {np.mean(gap[9:]):+.1f} '
        f'at the end ({steps[9]}-{steps[11]}).', '']


def in_last_tenth(unit: dict, iters: int) -> bool:
    """Whether a unit's best checkpoint lies in the last 10% of its
    ``iters`` iterations (the schedule was too short)."""
    best = unit['best_iter']
    return best is not None and best > 0.9 * iters - 1


def long_schedules(ledger: dict, groups: dict) -> Dict[int, dict]:
    """Per longer schedule (groups ``<group>@<iters>``): its units per
    group, the paired TaiChiNet − Model 1 Dice summary and, for the units
    trained on both schedules, how much the gap moved (points)."""
    out = {}
    for iters in sorted({int(g.split('@')[1]) for g in ledger['runs']
                         if '@' in g}):
        long = {g: units_of(ledger, f'{g}@{iters}') for g in GROUPS}
        both = [k for k in long['tc-masked'] if all(
            k in units for g in ('model1', 'tc-masked')
            for units in (groups[g], long[g]))]
        shift = [100 * (long['tc-masked'][k]['Dice'] -
                        long['model1'][k]['Dice'] -
                        groups['tc-masked'][k]['Dice'] +
                        groups['model1'][k]['Dice']) for k in sorted(both)]
        out[iters] = dict(iters=iters, units=long, shift=shift,
                          sum=pd.paired_summary(pd.paired(
                              long['model1'], long['tc-masked'], 'Dice')))
    return out


def clean(units: List[dict]) -> str:
    """Normal images predicted without a lesion pixel, summed over
    ``units``: ``'41 / 150 (27%)'``."""
    n = sum(int(u['normal_num_clean']) for u in units)
    tot = sum(int(u['normal_num_images']) for u in units)
    return f'{n} / {tot} ({100 * n / max(tot, 1):.0f}%)'


def longer_schedule(schedules: Dict[int, dict], groups: dict) -> List[str]:
    """The units trained again on a longer schedule (see
    :func:`long_schedules`): Model 1 and TaiChiNet at both schedules,
    paired."""
    lines = []
    for iters, sched in schedules.items():
        long = sched['units']
        keys = sorted(set(long['model1']) | set(long['tc-masked']))
        lines += [f'### Trained for {iters} iterations', '',
                  LONGER_INTRO.format(iters=iters, half=iters // 2), '']
        rows = []
        for key in keys:  # a unit with one run so far gets '-' for the other
            m1, tc = long['model1'].get(key), long['tc-masked'].get(key)
            s1, t1 = groups['model1'].get(key), groups['tc-masked'].get(key)

            def d(u):
                return '-' if u is None else f'{100 * u["Dice"]:.1f}'

            def gap(a, b):
                return '-' if a is None or b is None else \
                    f'{100 * (b["Dice"] - a["Dice"]):+.1f}'
            rows.append([str(key[0]), str(key[1]), d(s1), d(m1), d(t1), d(tc),
                         gap(s1, t1), gap(m1, tc),
                         ' / '.join('-' if u is None else str(u['best_iter'])
                                    for u in (m1, tc))])
        lines += table(['fold', 'seed', f'model1 {ITERS}', f'model1 {iters}',
                        f'tc-masked {ITERS}', f'tc-masked {iters}',
                        f'tc - model1 at {ITERS}', f'at {iters}',
                        f'best iteration at {iters} (model1 / tc)'], rows)
        out = []
        at_long = sched['sum']
        if at_long['n']:
            ci = at_long['ci95']
            out.append(
                f'- TaiChiNet − Model 1 at {iters} iterations over '
                f'{at_long["n"]} unit(s): **'
                f'{fmt(at_long["mean"], at_long["std"], sign=True)}** Dice, '
                f'{at_long["positive"]} of {at_long["n"]} positive' +
                ('' if ci is None else f', 95% interval {pd.fmt_ci(ci)}') +
                '.')
            iou, prec, sens, fp = (pd.paired_summary(pd.paired(
                long['model1'], long['tc-masked'], m))
                for m in ('IoU', 'Precision', 'Sensitivity',
                          'normal_fp_pixels'))
            out.append(
                f'- At {iters} iterations, IoU '
                f'{fmt(iou["mean"], iou["std"], sign=True)}, precision '
                f'{fmt(prec["mean"], prec["std"], sign=True)}, sensitivity '
                f'{fmt(sens["mean"], sens["std"], sign=True)}'
                '; false-positive pixels per normal image '
                f'{fmt(fp["mean"], fp["std"], scale=1, digits=0, sign=True)}'
                f' (fewer on {sum(x < 0 for x in fp["diffs"])} of {fp["n"]} '
                'units' + ('' if fp['ci95'] is None else '; 95% interval '
                           + pd.fmt_ci(fp['ci95'], scale=1, digits=0))
                + '); normal images '
                'predicted clean: ' + ', '.join(
                    f'{g} {clean(list(long[g].values()))}'
                    for g in ('model1', 'tc-masked')) + '.')
        for g in ('model1', 'tc-masked'):
            d = pd.paired_summary(pd.paired(groups[g], long[g], 'Dice'))
            if d['n']:
                out.append(f'- {g}: {iters} − {ITERS} iterations '
                           f'{fmt(d["mean"], d["std"], sign=True)} Dice '
                           f'({d["positive"]} of {d["n"]} units higher).')
        g = sched['shift']
        if g:
            out.append('- The gap changed by '
                       f'{fmt(*pd.mean_std(g), scale=1, sign=True)} points'
                       f' ({sum(x > 0 for x in g)} of {len(g)} units '
                       "in TaiChiNet's favour).")
        runs = [u for g in GROUPS for u in long[g].values()]
        late = sum(in_last_tenth(u, iters) for u in runs)
        rise = [u['val_rise'] for u in runs if u.get('val_rise') is not None]
        out.append(f'- {late} of {len(runs)} runs picked a checkpoint in the '
                   f'last 10% of the {iters} iterations' +
                   ('' if not rise else
                    f'; val IoU rise over their last sixth '
                    f'{fmt(*pd.mean_std(rise), sign=True)} points') + '.')
        lines += out + [''] + curve_table(long, iters)
    return lines


def readout_table(tc: Dict[tuple, dict]) -> List[str]:
    """TaiChiNet's test Dice by output (positive path, negative path, their
    mean) over the units tested with each; the others paired against the
    positive one, the default."""
    keys = sorted(k for k, u in tc.items()
                  if all(f'Dice_{r}' in u for r in READOUTS))
    if not keys:
        return []
    units = {r: {k: dict(Dice=tc[k][f'Dice_{r}']) for k in keys}
             for r in READOUTS}
    rows = []
    for r in READOUTS:
        d = pd.paired_summary(pd.paired(units['positive'], units[r], 'Dice'))
        dice = pd.mean_std(u['Dice'] for u in units[r].values())
        rows.append([r, fmt(*dice),
                     '–' if r == 'positive' else
                     f'{fmt(d["mean"], d["std"], sign=True)} '
                     f'({d["positive"]}/{d["n"]})'])
    return [f'#### Which TaiChiNet output carries the lesion ({len(keys)} '
            'units)', '', READOUT_INTRO, ''] + table(
                ['output', 'Dice', '− positive (units > 0)'], rows)


def subset_table(ref: Dict[tuple, dict], groups: dict) -> List[str]:
    """Where a group's paired Dice difference against Model 1 lies: benign
    and malignant images, small and large lesions (units whose per-image
    results the ledger holds)."""
    rows = []
    for g in GROUPS[1:]:
        cells = []
        for key, _ in SUBSETS:
            d = pd.paired_summary(pd.paired(ref, groups[g], key))
            cells.append('-' if not d['n'] else
                         f'{fmt(d["mean"], d["std"], sign=True)} '
                         f'({d["positive"]}/{d["n"]})')
        if any(c != '-' for c in cells):
            rows.append([f'{g} - model1'] + cells)
    if not rows:
        return []
    return ['#### Where the difference lies (paired Dice against model1 by '
            'subset of the test images; points, units > 0)', '',
            SUBSET_INTRO, ''] + table(
                ['group'] + [name for _, name in SUBSETS], rows)


def summary(ledger: dict) -> str:
    """The short table the READMEs quote: per group and schedule its units,
    Dice, IoU, precision, the paired Dice against Model 1 on the same
    schedule with its 95% interval, and the false-positive pixels per normal
    image (paired against Model 1)."""
    name = {'model1': 'Model 1: U-Net_p', 'model7': 'Model 7',
            'tc-masked': 'TaiChiNet'}
    base = {g: units_of(ledger, g) for g in GROUPS}
    schedules = [(ITERS, base)] + [
        (iters, s['units'])
        for iters, s in long_schedules(ledger, base).items()]
    rows = []
    for iters, groups in schedules:
        ref = groups['model1']
        for g in GROUPS:
            us = groups[g]
            if not us:
                continue
            row = [name[g], str(iters), str(len(us))] + [
                fmt(*pd.mean_std(u[m] for u in us.values()))
                for m in ('Dice', 'IoU', 'Precision')]
            fp = fmt(*pd.mean_std(u['normal_fp_pixels'] for u in us.values()),
                     scale=1, digits=0)
            if g == 'model1':
                row += ['–', '–', fp, '–']
            else:
                d = pd.paired_summary(pd.paired(ref, us, 'Dice'))
                f = pd.paired_summary(pd.paired(ref, us, 'normal_fp_pixels'))
                fewer = sum(x < 0 for x in f['diffs'])
                fp_diff = fmt(f['mean'], f['std'], scale=1, digits=0,
                              sign=True)
                row += [f'{fmt(d["mean"], d["std"], sign=True)} '
                        f'({d["positive"]}/{d["n"]})', pd.fmt_ci(d['ci95']),
                        fp, f'{fp_diff} ({fewer}/{f["n"]} fewer)']
            rows.append(row)
    return '\n'.join(table(
        ['model', 'iterations', 'units', 'Dice', 'IoU', 'Precision',
         'Dice − Model 1 (units > 0)', '95% interval',
         'FP pixels per normal image', '− Model 1'], rows)).rstrip() + '\n'


def verdict(s: dict, units: int, where: str) -> str:
    """The answer for one schedule: the interval's upper end below +3, the
    +3 target met on the mean with 70% of the units positive, or neither;
    none before ``units`` paired units are in.

    Args:
        s (dict): ``paired_summary`` of TaiChiNet − Model 1 Dice.
        units (int): The units the answer needs.
        where (str): The schedule, e.g. ``'at 1200 iterations'``.
    """
    ci = s['ci95']
    if s['n'] < units or ci is None:
        return (f'- No conclusion {where} before its {units} units of '
                'Model 1 and TaiChiNet are in.')
    if ci[1] < 0.03:
        return (f'- **The interval excludes +3 Dice** {where}: at the '
                "paper's width on these data TaiChiNet does not deliver the "
                'gain that would pay for its two paths.')
    if s['mean'] >= 0.03 and s['positive'] >= 0.7 * s['n']:
        return (f'- TaiChiNet meets the +3 Dice target {where} (mean '
                f'{100 * s["mean"]:+.1f}, {s["positive"]} of {s["n"]} '
                'positive).')
    return (f'- The interval neither reaches +3 on the mean nor excludes it '
            f'{where}: these {s["n"]} units cannot decide.')


def reading(sums: dict, fp_sums: dict, groups: dict,
            long: Optional[dict] = None) -> List[str]:
    """The page's reading: the paired Dice with its interval and the answer
    at the study's schedule; where some units were trained on a longer
    schedule, how much that moved the gap and the answer at that schedule
    (seed 0 of every fold, :data:`LONG_UNITS`); then the normal images.

    Args:
        sums (dict): Per group, ``paired_summary`` per metric against
            Model 1 at the study's schedule.
        fp_sums (dict): Per group, the paired false-positive pixels on
            normal images.
        groups (dict): Per group, the units at the study's schedule.
        long (dict, optional): The longest schedule's ``iters``, its paired
            Dice summary ``sum`` and ``shift``, the per-unit change of the
            gap from the study's schedule.
    """
    s = sums['tc-masked']['Dice']
    if not s['n']:
        return ['- No TaiChiNet unit has finished yet.']
    ci = s['ci95']
    out = [f'- TaiChiNet − Model 1 over {s["n"]} unit(s): **'
           f'{fmt(s["mean"], s["std"], sign=True)}** Dice, '
           f'{s["positive"]} of {s["n"]} positive'
           + ('' if ci is None else f', 95% interval {pd.fmt_ci(ci)}') + '.',
           verdict(s, UNITS, f'at {ITERS} iterations')]
    if long and long['shift']:
        sh = long['shift']
        out += [f'- {long["iters"]} iterations move the gap by '
                f'{fmt(*pd.mean_std(sh), scale=1, sign=True)} points on the '
                f'{len(sh)} unit(s) trained both ways '
                f"({sum(x > 0 for x in sh)} in TaiChiNet's favour); the "
                'answer is taken at the longer schedule:',
                verdict(long['sum'], LONG_UNITS,
                        f'at {long["iters"]} iterations')]
    d = fp_sums.get('tc-masked')
    if d and d['n']:
        fewer = sum(x < 0 for x in d['diffs'])
        out.append(
            '- Normal images: paired TaiChiNet − Model 1 '
            f'{fmt(d["mean"], d["std"], scale=1, digits=0, sign=True)} '
            f'false-positive pixels per image, fewer on {fewer} of {d["n"]} '
            'units' + ('' if d['ci95'] is None else ' (95% interval '
                       + pd.fmt_ci(d['ci95'], scale=1, digits=0) + ')')
            + '.')
    d7 = sums['model7']['Dice']
    if d7['n']:
        out.append(f'- Model 7 − Model 1 over {d7["n"]} unit(s): '
                   f'{fmt(d7["mean"], d7["std"], sign=True)} Dice, '
                   f'{d7["positive"]} of {d7["n"]} positive.')
        c = pd.paired_summary(pd.paired(groups['model7'], groups['tc-masked'],
                                        'Dice'))
        if c['n']:  # what the curriculum adds to the same two paths
            out.append(f'- TaiChiNet − Model 7 (the curriculum) over {c["n"]} '
                       f'unit(s): {fmt(c["mean"], c["std"], sign=True)} Dice, '
                       f'{c["positive"]} of {c["n"]} positive.')
    return out


REMINED = """\
A re-mined teacher: the fold's first teacher was lost with its machine's work dir before every TaiChiNet run of the
fold had trained; the same config, split and `tools/cross_val.py` command trained and mined it again, and the runs
named in its row trained on that curriculum. The teacher's training is seeded, so the re-mine repeats the first
mining rather than drawing a new teacher: compare the two rows of the fold."""


PROTOCOL = """\
**Compared.** Model 1 (`configs/taichinet/unet_busi-cpu128-w32.py`), Model 7
(`configs/taichinet/taichinet_busi-cpu128-w32_no-curriculum.py`) and TaiChiNet with the default masked part targets
(`configs/taichinet/taichinet_busi-cpu128-w32.py`), each fold's curriculum mined by a U-Net++ teacher at the same
width (`configs/taichinet/unetpp_busi-cpu128-w32.py`). Groups: `model1`, `model7`, `tc-masked`.

**Data and protocol.** busi-dev (172 BUSI lesion images), 5-fold cross-validation (stratified, fold seed 0) × training
seeds 0 and 1 = 10 paired units per row. 128 px, batch 8, Adam 1e-3, 1200 iterations (curriculum stage switch at 600),
validation every 100 on the fold's own val part, test on the best-by-val checkpoint. Each fold's teacher is trained
and mined once, by the seed-0 TaiChiNet run; the seed-1 run links that curriculum, so a seed changes the student only.
**Normal images:** no run trains on busi-dev's 30 normal images, and every fold's checkpoint is also tested on all of
them (`tools/cross_val.py --test-normal`): false-positive pixels per image (at the original image size) and how many
are predicted clean. bf16 autocast and channels-last (the configs' `amp = 'auto'`) on 2-core AMD EPYC machines (Zen 4,
AVX-512 BF16, no AMX), one thread per run, two runs side by side, from 2026-12-04; the training code is the same for
every unit.

```bash
PHASES=core bash scripts/taichinet_power_study.sh /path/to/busi-dev work_dirs/power32 32   # JOBS=12 on a GPU
python tools/analysis_tools/paired_diff.py work_dirs/power32/{model1,model7,tc-masked}-s{0,1} --ref model1 \\
    --metrics Dice IoU Precision Sensitivity
```

`FOLD_LIST="1"`, `SEEDS="0 1"` and `JOBS=1 QUEUE_OPTS="--only REGEX"` run a part of it (one lane); the ledger
`projects/taichinet_width/units.json` keeps every finished unit's figures."""

COST_INTRO = """\
`tools/analysis_tools/bench.py --sections taichinet-w32` (batch 8, 128 px, `train_step` only, one thread, another
training on the other core; from [configs/taichinet](../../configs/taichinet/README.md)): U-Net 1.29 s, Model 7 2.41
s, TaiChiNet 2.34 s per iteration in bf16 (2.45 / 5.05 / 5.27 s in fp32). Measured wall time of the study's runs (1200
iterations, 12 validations and the two tests, or where named 2400 iterations and 24 validations; minutes, mean over the
finished runs):"""

COST_OUTRO = """\
One paired unit of the three rows is about 2.2 core-hours, plus half a teacher (1.1 h per fold); the study at 1200
iterations about 27 core-hours on this CPU, the five units at 2400 iterations 12.5 more. On a GPU, `JOBS=12` trains
twelve of these runs side by side."""

SCHEDULE_INTRO = """\
The tested checkpoint is the best by validation IoU. A best checkpoint in the last 10% of training (iteration 1100 or
1200) would mean the schedule is still too short."""

RISE_INTRO = """\
Is a group still improving when training stops? The rise of each run's val IoU from iterations 700-900 to 1000-1200
(mean of the three validations each; the runs recorded from their logs, every unit but the first):"""

CURVE_INTRO = """\
Validation IoU by iteration, mean over the {n} units with the logs of both runs (curriculum stage switch at
{switch}):"""

LONGER_INTRO = """\
The same folds, seeds and curricula (each fold's teacher reused, not retrained), the students trained for {iters}
iterations with the curriculum stage switch at {half} and the same validation and test (`CV_OPTS="train_cfg.max_iters={iters}"
CURRICULA=work_dirs/power32 bash scripts/taichinet_power_study.sh DATA work_dirs/power32-{iters} 32`). Test Dice in %:"""

READOUT_INTRO = """\
The best checkpoint of each TaiChiNet unit tested again with each of its outputs (`tools/test.py CONFIG CKPT
--predict-with positive negative mean`): the lesion path after the complementary head (`positive`, what every other
table reports), the lesion read from the background path (`negative`, 1 − sigmoid(O_n)) and the mean of both
probabilities. Test Dice in %:"""

SUBSET_INTRO = """\
Each unit's mean Dice over its benign and its malignant test images, and over its images whose lesion covers less /
at least 5% of the image, paired against the same unit's Model 1. The ledger holds these for the units recorded from
their per-image results (every unit but the first, fold 0 seed 0)."""

NORMAL_INTRO = """\
False-positive pixels per normal image are counted at the image's original size; "predicted clean" is an image with
no lesion pixel."""

SOURCES = """\
The ledger holds the first unit (fold 0, seed 0) at one decimal of a percent and every later unit at full
precision."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('work', nargs='*', help='the study work dirs (their '
                   'finished folds join the ledger); none: the ledger only')
    p.add_argument('--ledger', default=LEDGER, help='the ledger (default: '
                   'projects/taichinet_width/units.json)')
    p.add_argument('--page', default=PAGE, help='the page written (default: '
                   'docs/studies/taichinet_paper-width_busi-dev.md)')
    p.add_argument('--summary', action='store_true',
                   help='print the short table the READMEs quote')
    p.add_argument('--check', action='store_true',
                   help='only say whether the page is up to date (exit 1 '
                   'when not); writes nothing')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    ledger = load_ledger(args.ledger)
    for work in args.work:
        if not osp.isdir(work):
            raise SystemExit(f'{work}: no such folder (the study work '
                             'dir, e.g. work_dirs/power32)')
    for work in args.work:
        for what in update_ledger(ledger, work):
            print(f'new: {what}')
    if args.work and not args.check:
        save_ledger(ledger, args.ledger)
    if args.summary:
        print(summary(ledger), end='')
    page = render(ledger)
    if args.check:
        same = osp.isfile(args.page) and open(args.page).read() == page
        print('up to date' if same else f'{args.page} is out of date')
        return 0 if same else 1
    with open(args.page, 'w') as f:
        f.write(page)
    print(f'wrote {args.page}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
