"""tools/cross_val.py and tools/analysis_tools/analyze.py run like a user on
phantom data."""
import json
import os
import os.path as osp
from collections import Counter

import cv2
import pytest

from .conftest import run_tool
from .test_train_test_infer import CONFIG, FAST

ASSGAN = 'configs/assgan/assgan_phantom-demo.py'
ANALYZE = 'tools/analysis_tools/analyze.py'
SWEEP = 'tools/analysis_tools/threshold_sweep.py'


def cross_val(*args, check=True):
    return run_tool('tools/cross_val.py', *args, check=check)


def fold_splits(work, k):
    return [json.load(open(osp.join(work, 'splits', f'fold_{i}.json')))
            for i in range(k)]


def test_folds_disjoint_covering_stratified_deterministic(phantom_root,
                                                          tmp_path):
    works = [str(tmp_path / f'cv{i}') for i in range(2)]
    for work in works:
        proc = cross_val(CONFIG, '--num-folds', '3', '--data-root',
                         phantom_root, '--work-dir', work, '--dry-run')
        assert 'tools/train.py' in proc.stdout  # printed, not run
        assert not osp.exists(osp.join(work, 'fold_0', 'iter_4.pth'))
    a, b = fold_splits(works[0], 3), fold_splits(works[1], 3)
    assert a == b  # deterministic
    tests = [set(s['test']) for s in a]
    every = set().union(*tests)
    assert sum(len(t) for t in tests) == len(every) == 36  # disjoint, covering
    assert max(map(len, tests)) - min(map(len, tests)) <= 1
    for s in a:  # train / val / test of a fold never overlap
        parts = [set(s[p]) for p in ('train', 'val', 'test')]
        assert sum(map(len, parts)) == 36 == len(set().union(*parts))
        assert s['val']  # the config validates on split_part='val'
        # stratified: 24 benign / 12 malignant -> 8 and 4 per test fold
        cats = Counter(i.split('/')[0] for i in s['test'])
        assert cats == {'benign': 8, 'malignant': 4}
    seeded = str(tmp_path / 'seed1')
    cross_val(CONFIG, '--num-folds', '3', '--data-root', phantom_root,
              '--work-dir', seeded, '--seed', '1', '--dry-run')
    assert fold_splits(seeded, 3) != a


def test_labeled_fraction_is_taken_inside_each_fold(phantom_root, tmp_path):
    work = str(tmp_path / 'semi')
    proc = cross_val(ASSGAN, '--num-folds', '2', '--data-root', phantom_root,
                     '--work-dir', work, '--labeled', '0.25', '--dry-run')
    for s in fold_splits(work, 2):
        assert set(s['labeled']) | set(s['unlabeled']) == set(s['train'])
        assert len(s['labeled']) == round(0.25 * len(s['train']))
        assert not set(s['labeled']) & set(s['test'])
    # every dataset of the ConcatDataset reads the fold's split file
    assert 'train_dataloader.dataset.datasets.0.split=' in proc.stdout
    assert 'train_dataloader.dataset.datasets.1.split=' in proc.stdout


@pytest.mark.parametrize('args, message', [
    (['--num-folds', '100'], 'fewer than --num-folds 100'),
    (['--num-folds', '1'], '--num-folds must be >= 2'),
    (['--folds', '5'], 'outside 0..1'),
])
def test_bad_fold_options_are_refused(phantom_root, tmp_path, args, message):
    work = tmp_path / 'bad'
    base = ['--num-folds', '2'] if '--num-folds' not in args else []
    proc = cross_val(CONFIG, '--data-root', phantom_root, '--work-dir',
                     str(work), *base, *args, '--dry-run', check=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert not work.exists()  # nothing written


def test_labeled_fraction_leaving_no_labeled_image_is_refused(phantom_root,
                                                             tmp_path):
    work = tmp_path / 'nolab'
    proc = cross_val(ASSGAN, '--num-folds', '2', '--data-root', phantom_root,
                     '--work-dir', str(work), '--labeled', '0.01',
                     '--dry-run', check=False)
    assert proc.returncode != 0
    assert 'fold 0 of 2' in proc.stderr and 'no labeled image' in proc.stderr
    assert not work.exists()


def test_work_dir_of_another_config_is_refused(phantom_root, tmp_path):
    work = str(tmp_path / 'cv')
    cross_val(CONFIG, '--num-folds', '2', '--data-root', phantom_root,
              '--work-dir', work, '--dry-run')
    stamp = open(osp.join(work, 'cv_config.json')).read()
    split0 = open(osp.join(work, 'splits', 'fold_0.json')).read()
    proc = cross_val(CONFIG, '--num-folds', '2', '--data-root', phantom_root,
                     '--work-dir', work, '--dry-run', '--cfg-options',
                     'optim_wrapper.optimizer.lr=0.5', check=False)
    assert proc.returncode != 0
    assert 'different setup' in proc.stderr and 'fingerprint' in proc.stderr
    proc = cross_val(CONFIG, '--num-folds', '3', '--data-root', phantom_root,
                     '--work-dir', work, '--dry-run', check=False)
    assert proc.returncode != 0 and 'num_folds' in proc.stderr
    assert open(osp.join(work, 'cv_config.json')).read() == stamp
    assert open(osp.join(work, 'splits', 'fold_0.json')).read() == split0


@pytest.fixture(scope='module')
def cv_run(phantom_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('cvrun') / 'unet')
    proc = cross_val(CONFIG, '--num-folds', '2', '--data-root', phantom_root,
                     '--work-dir', work, '--cfg-options', *FAST)
    return work, proc


def test_every_fold_trained_tested_and_summarized(cv_run):
    work, proc = cv_run
    for fold in (0, 1):
        fold_dir = osp.join(work, f'fold_{fold}')
        files = os.listdir(fold_dir)
        # --cfg-options reached training: 4 iterations
        assert 'iter_4.pth' in files and 'per_image.csv' in files
        assert json.load(open(osp.join(fold_dir, 'split.json'))) == \
            json.load(open(osp.join(work, 'splits', f'fold_{fold}.json')))
        assert os.listdir(osp.join(fold_dir, 'test_vis'))
    summary = json.load(open(osp.join(work, 'cv_summary.json')))
    per_fold = [json.load(open(osp.join(work, f'fold_{f}',
                                        'test_metrics.json')))['metrics']
                for f in (0, 1)]
    s = summary['summary']['model']
    assert s['folds'] == [0, 1]
    for m in ('IoU', 'Dice', 'Specificity'):
        values = [p['model'][m] for p in per_fold]
        assert s['mean'][m] == pytest.approx(sum(values) / 2)
    assert osp.isfile(osp.join(work, 'cv_summary.csv'))
    assert '## model (2 folds)' in open(osp.join(work, 'cv_summary.md')).read()
    assert 'summary written to' in proc.stdout


def test_rerun_skips_finished_folds(cv_run, phantom_root):
    work, _ = cv_run
    ckpt = osp.join(work, 'fold_0', 'iter_4.pth')
    mtime = os.path.getmtime(ckpt)
    # fold 1 "killed" after training, before its test finished
    os.remove(osp.join(work, 'fold_1', 'cv_fold_metrics.json'))
    proc = cross_val(CONFIG, '--num-folds', '2', '--data-root', phantom_root,
                     '--work-dir', work, '--cfg-options', *FAST)
    assert 'fold 0: finished earlier, skipped' in proc.stdout
    assert 'fold 1: finished earlier' not in proc.stdout
    assert 'tools/test.py' in proc.stdout and 'tools/train.py' not in proc.stdout
    assert os.path.getmtime(ckpt) == mtime
    assert osp.isfile(osp.join(work, 'fold_1', 'cv_fold_metrics.json'))


def test_test_normal_adds_false_positives_on_unseen_normal_images(
        cv_run, phantom_root):
    """--test-normal on finished folds: the checkpoint is tested on every
    normal image (none trained on), nothing is retrained, the normal_*
    figures join the fold metrics and the summary."""
    work, _ = cv_run
    ckpt = osp.join(work, 'fold_0', 'iter_4.pth')
    mtime = os.path.getmtime(ckpt)
    args = [CONFIG, '--num-folds', '2', '--data-root', phantom_root,
            '--work-dir', work, '--test-normal', '--cfg-options', *FAST]
    proc = cross_val(*args)
    assert 'tools/train.py' not in proc.stdout
    assert os.path.getmtime(ckpt) == mtime
    normal = json.load(open(osp.join(work, 'splits', 'normal.json')))
    assert normal['train'] == [] and len(normal['test']) == 4
    assert all(i.startswith('normal/') for i in normal['test'])
    for fold in (0, 1):
        fd = osp.join(work, f'fold_{fold}')
        rec = json.load(open(osp.join(fd, 'cv_fold_metrics.json')))
        m = rec['metrics']['model']
        nt = json.load(open(osp.join(fd, 'normal_test',
                                     'test_metrics.json')))['metrics']
        assert nt['model']['num_images'] == 4
        assert m['normal_num_images'] == 4
        assert m['normal_fp_pixels'] == nt['model']['normal_fp_pixels']
        # the lesion test's own figures are kept
        test = json.load(open(osp.join(fd, 'test_metrics.json')))['metrics']
        assert m['Dice'] == test['model']['Dice']
        assert len(open(osp.join(fd, 'normal_test',
                                 'per_image.csv')).readlines()) == 5
    assert '### model: normal images' in open(
        osp.join(work, 'cv_summary.md')).read()
    # a second call has nothing left to do
    proc = cross_val(*args)
    assert 'tools/test.py' not in proc.stdout
    assert proc.stdout.count('finished earlier, skipped') == 2


def test_test_normal_refuses_data_it_cannot_test(phantom_root, tmp_path):
    work = str(tmp_path / 'cv')
    proc = cross_val(CONFIG, '--num-folds', '2', '--data-root', phantom_root,
                     '--work-dir', work, '--test-normal', '--dry-run',
                     '--cfg-options',
                     'test_dataloader.dataset.include_normal=True',
                     check=False)
    assert proc.returncode != 0
    assert '--test-normal' in proc.stderr and 'include_normal' in proc.stderr
    assert not osp.exists(work)  # refused before anything is written
    empty = tmp_path / 'no_normal'
    for cat in ('benign', 'malignant'):
        src = osp.join(phantom_root, cat)
        os.makedirs(empty / cat)
        for n in os.listdir(src):
            os.symlink(osp.join(src, n), empty / cat / n)
    proc = cross_val(CONFIG, '--num-folds', '2', '--data-root', str(empty),
                     '--work-dir', work, '--test-normal', '--dry-run',
                     check=False)
    assert proc.returncode != 0
    assert 'no normal/ images' in proc.stderr and str(empty) in proc.stderr


def test_analyze_draws_curves_cases_and_table(cv_run, tmp_path):
    work, _ = cv_run
    proc = run_tool(ANALYZE, work)
    for fold in (0, 1):
        out = osp.join(work, f'fold_{fold}', 'analysis')
        for name in ('losses.png', 'val_metrics.png', 'cases.png'):
            img = cv2.imread(osp.join(out, name))
            assert img is not None and img.shape[0] > 50, name
    assert 'wrote' in proc.stdout
    # training itself drew the curves (TrainingCurvesHook)
    assert osp.isfile(osp.join(work, 'fold_0', 'curves', 'val_metrics.png'))
    proc = run_tool(ANALYZE, '--table', work,
                    '--out', str(tmp_path))
    table = open(tmp_path / 'results.md').read()
    assert table.splitlines()[2].startswith('| unet | model | 0,1 | ')
    assert ' +- ' in table


def test_threshold_sweep_of_the_folds(cv_run, tmp_path):
    work, _ = cv_run
    proc = run_tool(SWEEP, work)
    assert 'WARNING' not in proc.stdout
    assert '| unet | mean |' in proc.stdout
    for fold in (0, 1):
        fold_dir = osp.join(work, f'fold_{fold}')
        sweep = json.load(open(osp.join(fold_dir, 'threshold_sweep.json')))
        logged = json.load(open(osp.join(fold_dir, 'cv_fold_metrics.json')))
        m, chosen = sweep['metrics'], sweep['chosen']
        # at the model's own threshold the sweep is tools/test.py's metric
        assert chosen['config_t'] == 0.5
        assert m['Dice@config_t'] == pytest.approx(
            logged['metrics']['model']['Dice'], abs=1e-6)
        val, test, ts = sweep['val']['Dice'], sweep['test']['Dice'], \
            sweep['thresholds']
        assert chosen['val_t'] == ts[val.index(max(val))]
        assert m['Dice@val_t'] == test[ts.index(chosen['val_t'])]
        assert m['Dice@oracle_t'] == max(test) >= m['Dice@config_t']
        assert sweep['num_test'] == len(
            json.load(open(osp.join(fold_dir, 'split.json')))['test'])
    # a second call reuses the sweeps; paired_diff reads them as metrics
    mtime = os.path.getmtime(osp.join(work, 'fold_0', 'threshold_sweep.json'))
    proc = run_tool(SWEEP, work)
    assert 'threshold_sweep.json exists' in proc.stdout
    assert os.path.getmtime(
        osp.join(work, 'fold_0', 'threshold_sweep.json')) == mtime
    proc = run_tool('tools/analysis_tools/paired_diff.py', work, '--ref',
                    'unet', '--metrics', 'Dice', 'Dice@val_t', 'Dice@oracle_t')
    assert '| group | units | Dice | Dice@val_t | Dice@oracle_t |' in \
        proc.stdout
    row = [ln for ln in proc.stdout.splitlines() if ln.startswith('| unet |')]
    assert row and '| - |' not in row[0]
    proc = run_tool(SWEEP, str(tmp_path), check=False)
    assert proc.returncode != 0 and 'no finished fold' in proc.stderr
    proc = run_tool(SWEEP, work, '--force',
                    '--thresholds', '0.3', '0.7', check=False)
    assert proc.returncode != 0
    assert "own threshold 0.5" in proc.stderr


def _fake_assgan_run(root, gamma, iou):
    root.mkdir()
    (root / 'assgan_x.py').write_text(
        f"model = dict(type='ASSGAN', gate=dict(type='AgreementGate', "
        f"gamma={gamma}))\n")
    (root / 'test_metrics.json').write_text(json.dumps(dict(metrics=dict(
        generator_a=dict(IoU=iou, Dice=iou + 0.1),
        mean=dict(IoU=iou + 0.05, Dice=iou + 0.15)))))
    return str(root)


def test_gamma_sweep_plot_and_table(tmp_path):
    runs = [_fake_assgan_run(tmp_path / f'g{g}', g, iou)
            for g, iou in ((0.7, 0.4), (0.1, 0.5), (0.5, 0.6))]
    out = tmp_path / 'sweep'
    run_tool(ANALYZE, *runs, '--gamma-sweep', '--out', str(out))
    assert cv2.imread(str(out / 'gamma_sweep.png')) is not None
    rows = open(out / 'gamma_sweep.md').read().splitlines()[2:]
    assert [r.split(' | ')[0] for r in rows] == ['| 0.1', '| 0.5', '| 0.7']
    assert '0.5500' in rows[0] and '0.5000' in rows[0]


def test_curriculum_picture(phantom_root, tmp_path):
    from bus_mm.datasets.mask_io import read_union_mask
    from bus_mm.datasets.busi import BUSIDataset
    ds = BUSIDataset(data_root=phantom_root, pipeline=[])
    cur = tmp_path / 'curriculum'
    ids = []
    for i in range(3):
        info = ds.get_data_info(i)
        gt = read_union_mask(info['mask_paths'], img_path=info['img_path'])
        easy, hard = gt.copy(), gt.copy()
        easy[:, gt.shape[1] // 2:] = 0
        hard[:, :gt.shape[1] // 2] = 0
        for part, m in (('easy', easy), ('hard', hard)):
            path = cur / part / (info['sample_id'] + '.png')
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), m * 255)
        ids.append(info['sample_id'])
    (cur / 'curriculum_meta.json').write_text(json.dumps(dict(
        dataset='BUSIDataset', data_root=phantom_root, sample_ids=ids)))
    out = tmp_path / 'an'
    run_tool(ANALYZE, str(tmp_path), '--curriculum', str(cur),
             '--out', str(out))
    img = cv2.imread(str(out / 'curriculum.png'))
    assert img is not None and img.shape[0] == 3 * (200 + 22)
    assert img.shape[1] == 5 * 200


def test_data_root_option_must_name_a_folder(tmp_path):
    missing = str(tmp_path / 'no_such_busi')
    for tool in ('tools/train.py', 'tools/cross_val.py'):
        proc = run_tool(tool, ASSGAN, '--data-root', missing, '--work-dir',
                        str(tmp_path / 'w'), check=False)
        assert proc.returncode != 0
        assert f"--data-root {missing!r} is not a folder" in proc.stderr
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize('left', [['iter_2.pth'], []])
def test_a_fold_killed_during_training_is_resumed(phantom_root, tmp_path,
                                                   left):
    """Whatever a killed fold left (a checkpoint without last_checkpoint when
    killed right after the first write, or nothing),
    the rerun resumes it with train.py --resume or starts it afresh."""
    work = str(tmp_path / 'cv')
    os.makedirs(osp.join(work, 'fold_0'))
    for name in left:
        open(osp.join(work, 'fold_0', name), 'wb').close()
    proc = cross_val(CONFIG, '--num-folds', '2', '--folds', '0',
                     '--data-root', phantom_root, '--work-dir', work,
                     '--dry-run')
    train = [ln for ln in proc.stdout.splitlines() if 'tools/train.py' in ln]
    assert train and ('--resume' in train[0]) == bool(left), train
