"""Curves and pictures from logged scalars (bus_mm.visualization.curves)."""
import json

import cv2
import numpy as np

from bus_mm.visualization.curves import (case_grid, load_scalars, pick_cases,
                                         plot_training_curves)


def write_run(work, stamp, records):
    vis = work / stamp / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        for r in records:
            f.write(json.dumps(r) + '\n')


def assgan_records(start, stop):
    recs = []
    for step in range(start, stop, 25):
        epoch = step // 50
        recs.append({'step': step, 'loss': 1.0 / step, 'loss_adv_a': 0.1,
                     'unlabeled_used_a': 10 * epoch,
                     'unlabeled_used_b': 5 * epoch,
                     'unlabeled_used_union': 12 * epoch})
        if step % 100 == 0:
            recs.append({'step': step, 'IoU': step / 1000, 'Dice': 0.5})
    return recs


def test_resumed_runs_are_merged_and_val_separated(tmp_path):
    write_run(tmp_path, '20260101_000000', assgan_records(25, 225))
    # the resumed run repeats step 200 and goes on
    write_run(tmp_path, '20260101_010000', assgan_records(200, 425))
    train, val = load_scalars(str(tmp_path))
    assert [r['step'] for r in train] == list(range(25, 425, 25))
    assert [r['step'] for r in val] == [100, 200, 300, 400]
    assert all('IoU' not in r for r in train)


def test_plots_losses_val_and_accepted_pseudo_labels(tmp_path):
    write_run(tmp_path, '20260101_000000', assgan_records(25, 425))
    paths = plot_training_curves(str(tmp_path))
    names = sorted(p.rsplit('/', 1)[-1] for p in paths)
    assert names == ['accepted_pseudo_labels.png', 'losses.png',
                     'val_metrics.png']
    for p in paths:
        img = cv2.imread(p)
        assert img is not None and img.shape[0] > 200 and img.std() > 0
    assert plot_training_curves(str(tmp_path / 'empty')) == []


def test_pick_cases_best_median_worst():
    scores = {f'c{i}': s for i, s in enumerate([0.9, 0.1, 0.5, 0.7, 0.3])}
    groups = dict(pick_cases(scores, per_group=1))
    assert groups['best'] == [('c0', 0.9)]
    assert groups['median'] == [('c2', 0.5)]
    assert groups['worst'] == [('c1', 0.1)]
    groups = dict(pick_cases(scores, per_group=2))
    assert [n for n, _ in groups['worst']] == ['c1', 'c4']


def test_case_grid_needs_every_overlay(tmp_path):
    overlays = {}
    for i in range(4):
        path = tmp_path / f'o{i}.png'
        cv2.imwrite(str(path), np.full((40, 60, 3), 40 * i, np.uint8))
        overlays[f'o{i}'] = str(path)
    scores = {f'o{i}': i / 4 for i in range(4)}
    out = case_grid(scores, overlays, str(tmp_path / 'g.png'), per_group=2,
                    size=50)
    img = cv2.imread(out)
    assert img.shape == (3 * (50 + 22), 2 * 50, 3)
    del overlays['o3']
    try:
        case_grid(scores, overlays, str(tmp_path / 'h.png'))
    except FileNotFoundError as e:
        assert 'o3' in str(e) and '--show-dir' in str(e)
    else:
        raise AssertionError('a missing overlay must be an error')
