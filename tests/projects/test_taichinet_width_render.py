"""projects/taichinet_width/tools/{ledger,render}.py: the ledger of the
paper-width study's finished units and the page written from it."""
import importlib.util
import json
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    'taichinet_width_render',
    osp.join(ROOT, 'projects', 'taichinet_width', 'tools', 'render.py'))
render = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render)
ledger_mod = sys.modules['ledger']  # imported by render.py


def write_fold(work, run, fold, dice, best_iter=900, seconds=1600.0,
               normal=True, val_ious=(0.5, 0.61, 0.58)):
    d = osp.join(work, run, f'fold_{fold}')
    os.makedirs(osp.join(d, '20261204_000000', 'vis_data'), exist_ok=True)
    metrics = dict(Dice=dice, IoU=dice - 0.1, Precision=0.7,
                   Sensitivity=0.6)
    if normal:
        metrics.update(normal_num_images=30, normal_num_clean=10,
                       normal_fp_pixels=1000.0 * dice)
    with open(osp.join(d, 'cv_fold_metrics.json'), 'w') as f:
        json.dump(dict(fold=fold, seconds=seconds, metrics=dict(
            model=metrics), checkpoint=osp.join(
                d, f'best_IoU_iter_{best_iter}.pth')), f)
    with open(osp.join(d, '20261204_000000', 'vis_data', 'scalars.json'),
              'w') as f:
        for i, iou in enumerate(val_ious):
            f.write(json.dumps(dict(IoU=iou, step=100 * (i + 1))) + '\n')
    return d


def write_teacher(fold_dir, start='2026-12-04 09:00:00',
                  mined='2026-12-04 10:00:00', end='2026-12-04 10:50:00',
                  val_iou=0.64):
    cur = osp.join(fold_dir, 'curriculum')
    os.makedirs(cur, exist_ok=True)
    with open(osp.join(cur, 'curriculum_meta.json'), 'w') as f:
        json.dump(dict(time=mined, teacher_val=dict(IoU=val_iou), shares=dict(
            easy=dict(mean=0.45), hard=dict(mean=0.42),
            missed=dict(mean=0.13))), f)
    t0 = ledger_mod._stamp(start)
    with open(osp.join(fold_dir, 'cv_train_done.json'), 'w') as f:
        json.dump(dict(time=end, seconds=ledger_mod._stamp(end) - t0), f)


@pytest.fixture
def work(tmp_path):
    w = str(tmp_path / 'power32')
    write_fold(w, 'model1-s0', 1, 0.70)
    write_fold(w, 'model1-s1', 1, 0.72)
    tc0 = write_fold(w, 'tc-masked-s0', 1, 0.74, best_iter=1000,
                     seconds=7000.0)
    write_teacher(tc0)
    tc1 = write_fold(w, 'tc-masked-s1', 1, 0.71)
    os.symlink(osp.join('..', '..', 'tc-masked-s0', 'fold_1', 'curriculum'),
               osp.join(tc1, 'curriculum'))
    # finished before the normal test: not a unit yet
    write_fold(w, 'model7-s0', 1, 0.65, normal=False)
    return w


def test_finished_folds_join_the_ledger_and_the_teacher_time_is_split(
        work, tmp_path):
    ledger = dict(runs={}, teachers={})
    new = render.update_ledger(ledger, work)
    assert sorted(new) == ['model1 fold 1 seed 0', 'model1 fold 1 seed 1',
                           'tc-masked fold 1 seed 0',
                           'tc-masked fold 1 seed 1']
    assert 'model7' not in ledger['runs']  # no normal figures yet
    tc0 = ledger['runs']['tc-masked']['1:0']
    # the teacher trained and mined for an hour of the run's 7000 s
    assert ledger['teachers']['1']['seconds'] == pytest.approx(3600)
    assert ledger['teachers']['1']['mined_in'] == 'tc-masked-s0'
    assert ledger['teachers']['1']['val_IoU'] == pytest.approx(0.64)
    assert tc0['seconds'] == pytest.approx(7000 - 3600)
    # the seed-1 run linked the curriculum: all its time is its own
    assert ledger['runs']['tc-masked']['1:1']['seconds'] == 1600
    assert tc0['best_iter'] == 1000
    assert ledger['runs']['model1']['1:0']['best_val_IoU'] == \
        pytest.approx(0.61)
    # a second pass finds nothing new and keeps what it had
    assert render.update_ledger(ledger, work) == []


def test_page_pairs_units_and_keeps_units_of_other_machines(work, tmp_path):
    ledger_path = str(tmp_path / 'units.json')
    page = str(tmp_path / 'page.md')
    # a unit that landed elsewhere: in the ledger, not in this work dir
    render.save_ledger(dict(runs=dict(
        model1={'0:0': dict(Dice=0.741, IoU=0.637, Precision=0.774,
                            Sensitivity=0.748, normal_num_images=30,
                            normal_num_clean=6, normal_fp_pixels=17228,
                            best_iter=900, seconds=1560, best_val_IoU=0.592)},
        **{'tc-masked': {'0:0': dict(
            Dice=0.692, IoU=0.578, Precision=0.78, Sensitivity=0.663,
            normal_num_images=30, normal_num_clean=2,
            normal_fp_pixels=28454, best_iter=1000, seconds=3120)}}),
        teachers={}), ledger_path)
    assert render.main([work, '--ledger', ledger_path, '--page', page]) == 0
    with open(ledger_path) as f:
        saved = json.load(f)
    assert list(saved['runs']['model1']) == ['0:0', '1:0', '1:1']
    text = open(page).read()
    assert 'Finished units (of 10): Model 1 3, Model 7 0, TaiChiNet 3' in text
    # differences: -4.9, +4.0, -1.0 points
    assert '| 0 | 0 | 74.1 | 69.2 | -4.9 |' in text
    assert '| 1 | 0 | 70.0 | 74.0 | +4.0 |' in text
    assert '| 1 | 1 | 72.0 | 71.0 | -1.0 |' in text
    assert '**-0.6 ± 4.5** (1 / 3 positive)' in text
    assert '95% interval [-11.7, +10.4]' in text
    assert '0 of 6 runs picked a checkpoint in the last 10%' in text
    assert 'No conclusion at 1200 iterations before its 10 units' in text
    # the READMEs' short table: the same pairs
    line = [r for r in render.summary(saved).splitlines()
            if r.startswith('| TaiChiNet |')][0]
    assert '| 3 |' in line and '-0.6 ± 4.5 (1/3) | [-11.7, +10.4]' in line
    # the up-to-date check writes nothing
    assert render.main([work, '--ledger', ledger_path, '--page', page,
                        '--check']) == 0
    with open(page, 'a') as f:
        f.write('edited\n')
    assert render.main(['--ledger', ledger_path, '--page', page,
                        '--check']) == 1


def ten_units(diffs):
    runs = {'model1': {}, 'tc-masked': {}}
    for i, d in enumerate(diffs):
        key = f'{i // 2}:{i % 2}'
        base = dict(IoU=0.6, Precision=0.7, Sensitivity=0.7,
                    normal_num_images=30, normal_num_clean=5,
                    normal_fp_pixels=1000.0, best_iter=800, seconds=1500)
        runs['model1'][key] = dict(base, Dice=0.7)
        runs['tc-masked'][key] = dict(base, Dice=0.7 + d)
    return dict(runs=runs, teachers={})


def test_the_answer_says_when_the_interval_excludes_plus_three():
    text = render.render(ten_units([-0.02, 0.01] * 5))
    assert 'Status: in progress' in text  # Model 7 is still missing
    assert '**The interval excludes +3 Dice**' in text
    text = render.render(ten_units([0.05, 0.04] * 4 + [-0.01, 0.06]))
    assert 'TaiChiNet meets the +3 Dice target at 1200 iterations (mean ' \
        '+4.1, 9 of 10 positive)' in text
    text = render.render(ten_units([0.08, -0.04] * 5))
    assert 'these 10 units cannot decide' in text


def test_the_reading_pairs_taichinet_with_model7():
    """What the curriculum adds: TaiChiNet − Model 7 on their shared units."""
    led = ten_units([-0.05] * 10)
    led['runs']['model7'] = {k: dict(u, Dice=u['Dice'] + d) for (k, u), d in
                             zip(list(led['runs']['model1'].items())[:3],
                                 (-0.04, -0.06, -0.05))}
    text = render.render(led)
    assert 'Model 7 − Model 1 over 3 unit(s): -5.0 ± 1.0 Dice' in text
    assert 'TaiChiNet − Model 7 (the curriculum) over 3 unit(s): +0.0 ± 1.0 ' \
        'Dice, 1 of 3 positive.' in text


def test_the_answer_moves_to_the_longer_schedule():
    """Units trained for 2400 iterations: the reading gives how far the gap
    moved and answers at 2400 once seed 0 of every fold is in."""
    led = ten_units([-0.05] * 10)
    gaps = [-0.02, -0.01, -0.03, -0.02, -0.015]  # TaiChiNet - Model 1

    def add_long(folds):
        for g in ('model1', 'tc-masked'):
            tc = g != 'model1'
            led['runs'][f'{g}@2400'] = {
                f'{f}:0': dict(led['runs']['model1'][f'{f}:0'],
                               Dice=0.72 + (gaps[f] if tc else 0),
                               normal_num_clean=9 if tc else 5,
                               normal_fp_pixels=1000.0 - (100 * f if tc else 0))
                for f in folds}
    add_long(range(4))
    text = render.render(led)
    assert '**The interval excludes +3 Dice** at 1200 iterations' in text
    assert '2400 iterations move the gap by +3.0 ± 0.8 points on the 4 ' \
        "unit(s) trained both ways (4 in TaiChiNet's favour)" in text
    assert 'No conclusion at 2400 iterations before its 5 units' in text
    add_long(range(5))
    text = render.render(led)
    assert '**The interval excludes +3 Dice** at 2400 iterations' in text
    # normal images at 2400: paired FP pixels (fold f: -100 f) and clean images
    assert 'per normal image -200 ± 158 (fewer on 4 of 5 units; 95% ' \
        'interval [-396, -4]); normal images predicted clean: model1 25 / ' \
        '150 (17%), tc-masked 45 / 150 (30%).' in text
    assert 'Status: in progress' in text  # Model 7 is still missing
    assert '| TaiChiNet (Model 7 + curriculum), 2400 iterations | 5 | 25 |' \
        in text  # the cost table: 1500 s per run
    # the READMEs' short table has a row per group and schedule
    rows = [r.split(' | ')[:3] for r in render.summary(led).splitlines()
            if r.startswith('| TaiChiNet |')]
    assert rows == [['| TaiChiNet', '1200', '10'],
                    ['| TaiChiNet', '2400', '5']]
    line = render.summary(led).splitlines()[-1]
    assert '| -1.9 ± 0.7 (0/5) | [-2.8, -1.0] |' in line
    # Model 7's tenth unit completes the study
    led['runs']['model7'] = dict(led['runs']['model1'])
    text = render.render(led)
    assert 'Status: complete' in text
    assert 'every figure is over all of them.' in text
    assert 'so far' not in text.split('## Cost')[0]


def test_a_missing_work_dir_is_named(tmp_path):
    with pytest.raises(SystemExit, match='nowhere: no such folder'):
        render.main([str(tmp_path / 'nowhere'), '--ledger',
                     str(tmp_path / 'u.json'), '--page',
                     str(tmp_path / 'p.md')])


def write_per_image(fold_dir, rows):
    """rows: (file name, lesion pixels, Dice) on 100-pixel images."""
    with open(osp.join(fold_dir, 'per_image.csv'), 'w') as f:
        f.write('img_path,tp,fp,fn,tn,IoU,Dice\n')
        for name, lesion, dice in rows:
            f.write(f'{name},{lesion},0,0,{100 - lesion},0.5,{dice}\n')


def test_subsets_split_the_paired_difference(work):
    """Benign / malignant by file name, small / large lesions at 5% of the
    image; each a mean per unit, paired against Model 1's same unit."""
    for run, dices in (('model1-s0', (0.8, 0.6, 0.4)),
                       ('tc-masked-s0', (0.7, 0.6, 0.5))):
        write_per_image(osp.join(work, run, 'fold_1'), [
            ('benign (1).png', 2, dices[0]), ('benign (2).png', 30, dices[1]),
            ('malignant (3).png', 40, dices[2])])
    ledger = dict(runs={}, teachers={})
    render.update_ledger(ledger, work)
    m1 = ledger['runs']['model1']['1:0']
    assert m1['Dice_benign'] == pytest.approx(0.7)
    assert m1['Dice_malignant'] == pytest.approx(0.4)
    assert m1['Dice_small'] == pytest.approx(0.8)  # 2% of the image
    assert m1['Dice_large'] == pytest.approx(0.5)
    assert 'Dice_benign' not in ledger['runs']['model1']['1:1']  # no table
    text = render.render(ledger)
    # one unit has both: benign -5.0, malignant +10.0, small -10, large +5
    assert '| tc-masked - model1 | -5.0 (0/1) | +10.0 (1/1) | -10.0 (0/1) | ' \
        '+5.0 (1/1) |' in text


def test_late_val_rise_is_recorded_and_shown(tmp_path):
    """val IoU at 700-1200: mean of 1000-1200 minus mean of 700-900."""
    w = str(tmp_path / 'power32')
    d = write_fold(w, 'model1-s0', 1, 0.7, val_ious=())
    with open(osp.join(d, '20261204_000000', 'vis_data', 'scalars.json'),
              'w') as f:
        for step, iou in zip(range(700, 1300, 100),
                             (0.5, 0.5, 0.5, 0.6, 0.6, 0.6)):
            f.write(json.dumps(dict(IoU=iou, step=step)) + '\n')
    write_fold(w, 'model1-s1', 1, 0.7)  # validations before 700 only
    ledger = dict(runs={}, teachers={})
    render.update_ledger(ledger, w)
    assert ledger['runs']['model1']['1:0']['val_rise'] == pytest.approx(0.1)
    assert ledger['runs']['model1']['1:1']['val_rise'] is None
    assert '| Model 1 (U-Net_p) | 1 | +10.0 | 1 |' in render.render(ledger)


def dump_config(fold_dir, max_iters):
    """What a run leaves in its fold: its config's name and the config."""
    with open(osp.join(fold_dir, 'bus_mm_run.json'), 'w') as f:
        json.dump(dict(config='configs/taichinet/unet_x.py'), f)
    with open(osp.join(fold_dir, 'unet_x.py'), 'w') as f:
        f.write('max_iters = 20000\n'
                f'train_cfg = dict(max_iters={max_iters}, '
                "type='IterBasedTrainLoop', val_interval=100)\n")


def test_a_longer_schedule_is_kept_apart_and_paired(work, tmp_path):
    """Runs trained for 2400 iterations join groups '<group>@2400'; the page
    pairs them with the same units at 1200 and with each other."""
    for run in ('model1-s0', 'tc-masked-s0'):
        dump_config(osp.join(work, run, 'fold_1'), 1200)
    long = str(tmp_path / 'power32-2400')
    curve = [0.5] * 19 + [0.6] * 5  # validations at 100 ... 2400
    for run, dice, best in (('model1-s0', 0.71, 2400),
                            ('tc-masked-s0', 0.77, 1800)):
        d = write_fold(long, run, 1, dice, best_iter=best, val_ious=curve)
        dump_config(d, 2400)
    led = dict(runs={}, teachers={})
    render.update_ledger(led, work)
    assert sorted(render.update_ledger(led, long)) == [
        'model1@2400 fold 1 seed 0', 'tc-masked@2400 fold 1 seed 0']
    assert led['runs']['model1']['1:0']['max_iters'] == 1200
    m1 = led['runs']['model1@2400']['1:0']
    assert m1['max_iters'] == 2400
    # val rise: mean of 2000-2400 minus mean of 1400-1800
    assert m1['val_rise'] == pytest.approx(0.1)
    text = render.render(led)
    assert 'Finished units (of 10): Model 1 2, Model 7 0, TaiChiNet 2' in text
    assert '### Trained for 2400 iterations' in text
    # 1200: 70.0 vs 74.0 (+4.0); 2400: 71.0 vs 77.0 (+6.0)
    assert '| 1 | 0 | 70.0 | 71.0 | 74.0 | 77.0 | +4.0 | +6.0 | ' \
        '2400 / 1800 |' in text
    assert 'The gap changed by +2.0 points (1 of 1 units' in text
    assert '1 of 2 runs picked a checkpoint in the last 10% of the 2400' \
        in text
    # a unit whose TaiChiNet run landed before its Model 1 run: its row
    # shows what there is, and nothing is paired yet
    d = write_fold(long, 'tc-masked-s1', 1, 0.75, best_iter=1200,
                   val_ious=curve)
    dump_config(d, 2400)
    render.update_ledger(led, long)
    text = render.render(led)
    assert '| 1 | 1 | 72.0 | - | 71.0 | 75.0 | -1.0 | - | - / 1200 |' in text
    assert 'The gap changed by +2.0 points (1 of 1 units' in text


def test_val_curves_are_paired_by_stage():
    """The page's val-curve table: the mean of the units holding both
    curves, and the gap on the easy stage, after the switch, at the end."""
    led = ten_units([0.0] * 2)
    steps = [str(100 * i) for i in range(1, 13)]
    led['runs']['model1']['0:0']['val_curve'] = {s: 0.6 for s in steps}
    led['runs']['tc-masked']['0:0']['val_curve'] = dict(zip(
        steps, [0.5] * 6 + [0.4] * 3 + [0.58] * 3))
    led['runs']['model1']['0:1']['val_curve'] = {s: 0.6 for s in steps[:6]}
    text = render.render(led)  # unit 0:1 lacks the late curve: left out
    assert 'mean over the 1 units with the logs of both runs' in text
    assert '| tc-masked - model1 | -10.0 |' in text
    assert 'TaiChiNet − Model 1 in val IoU: -10.0 points on the easy stage ' \
        '(to 600), -20.0 after the switch (700-900), -2.0 at the end ' \
        '(1000-1200).' in text


def test_each_output_of_taichinet_is_recorded_and_paired(work):
    """A fold tested with --predict-with positive negative mean: its Dice
    per output joins the ledger; the page pairs them against 'positive'."""
    d = osp.join(work, 'tc-masked-s0', 'fold_1', 'readouts')
    os.makedirs(d)
    with open(osp.join(d, 'test_metrics.json'), 'w') as f:
        json.dump(dict(metrics=dict(positive=dict(Dice=0.74),
                                    negative=dict(Dice=0.70),
                                    mean=dict(Dice=0.75))), f)
    led = dict(runs={}, teachers={})
    render.update_ledger(led, work)
    u = led['runs']['tc-masked']['1:0']
    assert (u['Dice_positive'], u['Dice_negative'], u['Dice_mean']) == (
        0.74, 0.70, 0.75)
    assert 'Dice_negative' not in led['runs']['tc-masked']['1:1']
    text = render.render(led)
    assert 'Which TaiChiNet output carries the lesion (1 units)' in text
    assert '| negative | 70.0 | -4.0 (0/1) |' in text
    assert '| mean | 75.0 | +1.0 (1/1) |' in text


def test_resumed_runs_are_left_out_of_the_cost(work):
    """A run launched twice (stopped, then resumed) measured only its last
    part: the cost table leaves it out and says so."""
    d = osp.join(work, 'model1-s1', 'fold_1')
    with open(osp.join(d, 'cv_commands.log'), 'w') as f:
        f.write('$ python tools/train.py a.py --work-dir x\nlog line\n'
                '$ python tools/train.py a.py --work-dir x --resume\n'
                '$ python tools/test.py a.py x/best.pth\n')
    led = dict(runs={}, teachers={})
    render.update_ledger(led, work)
    assert led['runs']['model1']['1:1']['resumed'] is True
    assert led['runs']['model1']['1:0']['resumed'] is False
    assert led['teachers']['1']['resumed'] is False
    text = render.render(led)
    assert '| Model 1 (U-Net_p) | 1 (1 resumed, left out) | 27 |' in text


def test_a_re_mined_curriculum_is_named_on_the_page(work):
    """A fold whose first teacher was lost is mined again for its later
    runs: those units record the curriculum they trained on and the page
    lists the re-mine under the fold's teacher."""
    tc1 = osp.join(work, 'tc-masked-s1', 'fold_1')
    os.remove(osp.join(tc1, 'curriculum'))
    remine = osp.join(work, 'remine', 'fold_1')
    write_teacher(remine, start='2026-12-05 09:00:00',
                  mined='2026-12-05 10:00:00', end='2026-12-05 10:00:00',
                  val_iou=0.6)
    os.symlink(osp.join(remine, 'curriculum'), osp.join(tc1, 'curriculum'))
    write_teacher(tc1, start='2026-12-05 10:00:00',
                  mined='2026-12-05 10:00:00', end='2026-12-05 11:00:00',
                  val_iou=0.6)  # through the link: the re-mine's own meta
    led = dict(runs={}, teachers={})
    render.update_ledger(led, work)
    tc = led['runs']['tc-masked']
    assert tc['1:0']['curriculum']['time'] == led['teachers']['1']['time']
    assert tc['1:1']['curriculum']['val_IoU'] == pytest.approx(0.6)
    assert 'teacher' not in tc['1:1']  # linked: not mined by this run
    text = render.render(led)
    assert '| 1 | re-mined, used by tc-masked seed 1 | 60.0 |' in text
    assert render.REMINED in text


def test_a_curriculum_mined_after_a_run_is_not_that_runs(work):
    """Re-mining into the folder of a run that already finished must not
    make that run's record claim the new teacher or its time."""
    tc0 = osp.join(work, 'tc-masked-s0', 'fold_1')
    write_teacher(tc0, mined='2026-12-05 10:00:00')  # after the run's end
    led = dict(runs={}, teachers={})
    render.update_ledger(led, work)
    assert led['teachers'] == {}
    assert 'curriculum' not in led['runs']['tc-masked']['1:0']
    assert led['runs']['tc-masked']['1:0']['seconds'] == pytest.approx(7000)
