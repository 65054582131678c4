"""cv_summary: mean +- std over folds against hand-computed values."""
import csv
import json
import math

import pytest

from bus_mm.evaluation.cv_summary import (format_markdown, summarize_folds,
                                          write_cv_summary)

# hand-made per-fold metrics: two variants, three folds
PER_FOLD = {
    0: {'generator_a': {'IoU': 0.50, 'Dice': 0.60, 'Acc': 0.90},
        'mean': {'IoU': 0.40, 'Dice': 0.50, 'Acc': 0.80}},
    1: {'generator_a': {'IoU': 0.60, 'Dice': 0.70, 'Acc': 0.92},
        'mean': {'IoU': 0.50, 'Dice': 0.60, 'Acc': 0.82}},
    2: {'generator_a': {'IoU': 0.70, 'Dice': 0.80, 'Acc': 0.94},
        'mean': {'IoU': 0.60, 'Dice': 0.70, 'Acc': 0.84}},
}


def test_mean_and_sample_std():
    s = summarize_folds(PER_FOLD)
    assert list(s) == ['generator_a', 'mean']
    a = s['generator_a']
    assert a['folds'] == [0, 1, 2]
    assert a['metrics'] == ['Dice', 'IoU', 'Acc']  # the paper's order first
    assert a['mean']['IoU'] == pytest.approx(0.60)
    # sample std (ddof=1) of 0.5, 0.6, 0.7 is 0.1
    assert a['std']['IoU'] == pytest.approx(0.10)
    assert a['std']['Acc'] == pytest.approx(0.02)
    assert s['mean']['mean']['Dice'] == pytest.approx(0.60)


def test_single_fold_has_no_std_and_empty_input_is_an_error():
    s = summarize_folds({3: PER_FOLD[0]})
    assert s['mean']['std']['IoU'] is None and s['mean']['folds'] == [3]
    with pytest.raises(ValueError, match='no finished fold'):
        summarize_folds({})


def test_files_written_and_reloaded(tmp_path):
    paths = write_cv_summary(PER_FOLD, str(tmp_path), meta=dict(config='x.py'))
    data = json.load(open(paths['json']))
    assert data['meta']['config'] == 'x.py'
    assert data['summary']['generator_a']['mean']['Dice'] == pytest.approx(0.7)
    rows = list(csv.DictReader(open(paths['csv'])))
    assert [(r['variant'], r['fold']) for r in rows[:5]] == [
        ('generator_a', '0'), ('generator_a', '1'), ('generator_a', '2'),
        ('generator_a', 'mean'), ('generator_a', 'std')]
    assert float(rows[3]['IoU']) == pytest.approx(0.6)
    assert math.isclose(float(rows[4]['Dice']), 0.1, rel_tol=1e-9)
    md = open(paths['md']).read()
    # percent, mean +- std, one table per variant with every fold
    assert '| **mean +- std** | 70.00 +- 10.00 | 60.00 +- 10.00 | 92.00 +- 2.00 |' in md
    assert '## mean (3 folds)' in md and '| 2 | 70.00 | 60.00 | 84.00 |' in md


def test_markdown_single_fold_shows_no_std():
    md = format_markdown(summarize_folds({0: PER_FOLD[0]}))
    assert '| **mean +- std** | 60.00 | 50.00 | 90.00 |' in md


def test_markdown_normal_image_table():
    per_fold = {
        f: {'model': {'IoU': 0.5, 'Dice': 0.6, 'normal_num_images': 10,
                      'normal_num_clean': clean, 'normal_clean': clean / 10,
                      'normal_fp_pixels': fp, 'lesion_Dice': 0.55,
                      'lesion_IoU': 0.45}}
        for f, clean, fp in ((0, 7, 100.0), (1, 9, 300.0))
    }
    md = format_markdown(summarize_folds(per_fold))
    assert '### model: normal images' in md
    assert '| 0 | 7 / 10 | 70.00 | 100.0 | 55.00 | 45.00 |' in md
    # clean images summed over folds; FP pixels mean +- sample std
    assert '| **all folds / mean +- std** | 16 / 20 | 80.00 +- 14.14 | ' \
        '200.0 +- 141.4 |' in md
    # runs without normal images keep the plain table only
    assert 'normal images' not in format_markdown(summarize_folds(PER_FOLD))
