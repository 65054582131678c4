"""tools/analysis_tools/paired_diff.py on hand-made cross-validation dirs,
and the power study script's syntax (the study itself is smoke-run by hand:
it launches dozens of training processes)."""
import json
import os
import os.path as osp
import subprocess

import numpy as np
import pytest

from .conftest import REPO, load_tool

TOOL = 'tools/analysis_tools/paired_diff.py'


def write_run(root, name, dice, normal_fp=None, teacher=None, val_iou=None):
    """A cross_val.py work dir with folds 0-2; ``dice[f]`` per fold."""
    for fold, d in enumerate(dice):
        fd = osp.join(root, name, f'fold_{fold}')
        os.makedirs(fd, exist_ok=True)
        m = dict(Dice=d, IoU=d - 0.1, Precision=0.7, Sensitivity=0.6)
        if normal_fp is not None:
            m.update(normal_num_images=10, normal_num_clean=5 + fold,
                     normal_clean=(5 + fold) / 10,
                     normal_fp_pixels=normal_fp, lesion_Dice=d)
        with open(osp.join(fd, 'cv_fold_metrics.json'), 'w') as f:
            json.dump(dict(fold=fold, metrics=dict(model=m)), f)
        if teacher is not None:
            cur = osp.join(fd, 'curriculum')
            os.makedirs(cur)
            with open(osp.join(cur, 'curriculum_meta.json'), 'w') as f:
                json.dump(dict(teacher_val=dict(IoU=teacher[fold]),
                               shares=dict(easy=dict(mean=0.3),
                                           hard=dict(mean=0.5),
                                           missed=dict(mean=0.2))), f)
        if val_iou is not None:
            vd = osp.join(fd, '20260101_000000', 'vis_data')
            os.makedirs(vd)
            with open(osp.join(vd, 'scalars.json'), 'w') as f:
                f.write(json.dumps(dict(IoU=val_iou[fold], step=1)) + '\n')
    return osp.join(root, name)


@pytest.fixture
def runs(tmp_path):
    root = str(tmp_path)
    return [
        write_run(root, 'model1-s0', [0.60, 0.62, 0.64], 400.0,
                  val_iou=[0.50, 0.50, 0.50]),
        write_run(root, 'model1-s1', [0.58, 0.66, 0.63], 200.0,
                  val_iou=[0.52, 0.52, 0.52]),
        write_run(root, 'tc-masked-s0', [0.65, 0.66, 0.63], 150.0,
                  teacher=[0.60, 0.40, 0.55]),
        write_run(root, 'tc-masked-s1', [0.63, 0.70, 0.68], 150.0),
    ]


def test_paired_differences_by_hand(runs, tmp_path):
    tool = load_tool(TOOL)
    main, run_name = tool.main, tool.run_name
    assert run_name('/x/tc-masked-s1/') == ('tc-masked', 1)
    assert run_name('/x/model1_seed12') == ('model1', 12)
    assert run_name('/x/plain') == ('plain', 0)
    out = str(tmp_path / 'pd.md')
    data = main([*runs, '--ref', 'model1', '--out', out])
    diffs = [0.05, 0.05, 0.04, 0.04, -0.01, 0.05]  # (fold, seed) order
    p = data['paired']['tc-masked']['Dice']
    assert p['n'] == 6 and p['positive'] == 5
    assert p['diffs'] == pytest.approx(diffs)
    assert p['mean'] == pytest.approx(sum(diffs) / 6)
    text = open(out).read()
    assert '| tc-masked - model1 | 6 | +3.7 +- 2.3 | +3.7 +- 2.3 | 5 / 6 |' \
        in text
    assert '| 2 | 0 | 64.0 | 63.0 | -1.0 |' in text
    # the 95% t-interval of the mean difference over the 6 units
    half = 2.5706 * np.std(diffs, ddof=1) / np.sqrt(6)
    assert p['ci95'] == pytest.approx((np.mean(diffs) - half,
                                       np.mean(diffs) + half), abs=1e-4)
    assert '| 5 / 6 | [+1.2, +6.1] |' in text
    # normal images: clean counts summed over units, FP pixels vs the ref
    assert '| tc-masked | 6 | 36 / 60 (60%) | 150 +- 0 | -50% |' in text
    # paired per unit: 150 - 400 on seed 0, 150 - 200 on seed 1
    assert '| -50% | -150 +- 110 (6 / 6) |' in text
    fp = data['paired']['tc-masked']['normal_fp_pixels']
    assert fp['diffs'] == pytest.approx([-250, -50] * 3) and fp['n'] == 6
    # teachers (once per fold, from the run that mined them): fold 1's
    # teacher (40.0) is below model1's best val IoU there (mean 51.0)
    assert '| 1 | tc-masked-s0 | 40.0 | 51.0 | 30.0 | 50.0 | 20.0 |' in text
    assert '**Warning:** on folds [1]' in text
    assert json.load(open(str(tmp_path / 'pd.json')))['paired']


def test_shared_teacher_listed_once_and_errors(runs, tmp_path):
    main = load_tool(TOOL).main
    for fold in range(3):  # the seed-1 run links the seed-0 teacher
        os.symlink(f'../../tc-masked-s0/fold_{fold}/curriculum',
                   osp.join(runs[3], f'fold_{fold}', 'curriculum'))
    data = main([*runs[3:], *runs[:3], '--ref', 'model1'])  # link first
    assert sorted(r['fold'] for r in data['teachers']) == [0, 1, 2]
    assert {r['run'] for r in data['teachers']} == {'tc-masked-s0'}
    with pytest.raises(SystemExit, match="--ref 'model7'"):
        main([*runs, '--ref', 'model7'])
    with pytest.raises(SystemExit, match='no test variant'):
        main([*runs, '--ref', 'model1', '--variant', 'generator_a'])


def test_power_study_script_parses():
    script = osp.join(REPO, 'scripts', 'taichinet_power_study.sh')
    assert subprocess.run(['bash', '-n', script]).returncode == 0
    proc = subprocess.run(['bash', script], capture_output=True, text=True)
    assert proc.returncode != 0 and 'usage' in proc.stderr


def write_per_image(run, fold, rows):
    """rows: (img, tp, fp, fn, dice)."""
    with open(osp.join(run, f'fold_{fold}', 'per_image.csv'), 'w') as f:
        f.write('img_path,tp,fp,fn,tn,IoU,Dice\n')
        for img, tp, fp, fn, dice in rows:
            f.write(f'{img},{tp},{fp},{fn},0,0,{dice}\n')


def test_pixel_shift_by_hand(tmp_path):
    main = load_tool(TOOL).main
    root = str(tmp_path)
    ref = write_run(root, 'model1-s0', [0.6, 0.6])
    tc = write_run(root, 'tc-s0', [0.6, 0.6])
    # GT areas (tp + fn): 10, 100, 1000 on fold 0 and 20, 200, 2000 on fold 1
    for fold, k in ((0, 1), (1, 2)):
        write_per_image(ref, fold, [('a', 5 * k, 10, 5 * k, 0.5),
                                    ('b', 50 * k, 10, 50 * k, 0.6),
                                    ('c', 900 * k, 0, 100 * k, 0.9)])
        write_per_image(tc, fold, [('c', 900 * k, 30, 100 * k, 0.8),
                                   ('b', 40 * k, 4, 60 * k, 0.7),
                                   ('a', 5 * k, 10, 5 * k, 0.5)])
    data = main([ref, tc, '--ref', 'model1', '--pixel-shift'])
    (row, ) = data['pixel_shift']
    assert row['images'] == 6
    assert row['fp'] == pytest.approx((0 - 6 + 30) * 2 / 6)
    assert row['fn'] == pytest.approx((0 + 10 + 0 + 20 + 0 + 0) / 6)
    # terciles of (10, 100, 1000, 20, 200, 2000): a small, b medium, c large
    assert row['dice_by_size'] == pytest.approx([0.0, 0.1, -0.1])
    # runs of another split are refused, naming the fold
    write_per_image(tc, 1, [('z', 1, 1, 1, 0.1)])
    with pytest.raises(SystemExit, match='fold_1: its test images differ'):
        main([ref, tc, '--ref', 'model1', '--pixel-shift'])
