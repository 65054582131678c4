"""TaiChiNet end to end through the tools on phantoms: mine the curriculum
with a U-Net++ teacher (tools/misc/prepare_curriculum.py), train TaiChiNet
with it (epoch-based BUSI config, stage switch), test, infer, count distractor
false positives. Tiny models and schedules; the paper's configs themselves."""
import json
import math
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn

from bus_mm.apis import best_val_iou, load_config

from .conftest import data_root_options, load_tool, run_tool

CURRICULUM_TOOL = 'tools/misc/prepare_curriculum.py'
DISTRACTOR_TOOL = 'tools/analysis_tools/analyze_distractors.py'
TEACHER = 'configs/taichinet/unetpp_busi-224.py'
STUDENT = 'configs/taichinet/taichinet_busi-224.py'
LOADERS = [
    f'{k}_dataloader.{o}' for k in ('train', 'val', 'test')
    for o in ('num_workers=0', 'persistent_workers=False')
]
TEACHER_OPTS = LOADERS + [
    'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
    'model.channels=[4,8,16,32,64]'
]
STUDENT_OPTS = LOADERS + [
    'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
    'model.backbone.base_channels=4'
]


def read_png(path):
    img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def gt_of(root, sid):
    from bus_mm.datasets.mask_io import read_union_mask
    return read_union_mask(load_tool(DISTRACTOR_TOOL)._gt_paths(root, sid))


@pytest.fixture(scope='module')
def curriculum(phantom_root, tmp_path_factory):
    """prepare_curriculum.py without --checkpoint: trains the teacher first."""
    out = str(tmp_path_factory.mktemp('curriculum') / 'busi_fold0')
    proc = run_tool(CURRICULUM_TOOL, TEACHER, '--out', out,
                    '--device', 'cpu', '--cfg-options', *TEACHER_OPTS,
                    *data_root_options(phantom_root))
    return out, proc


def test_prepare_curriculum_masks_for_every_train_image(
        curriculum, phantom_root):
    out, proc = curriculum
    split = json.load(open(osp.join(out, 'unetpp', 'split.json')))
    assert split['spec']['type'] == 'kfold' and split['spec']['fold'] == 0
    train = sorted(split['train'])
    meta = json.load(open(osp.join(out, 'curriculum_meta.json')))
    assert sorted(meta['sample_ids']) == train
    assert meta['num_images'] == len(train)
    assert meta['thr'] == 0.5 and meta['split_part'] == 'train'
    assert osp.basename(meta['checkpoint']).startswith('best_IoU')
    assert osp.dirname(meta['checkpoint']) == osp.join(out, 'unetpp')
    for sub in ('easy', 'hard'):
        files = [f for _, _, fs in os.walk(osp.join(out, sub)) for f in fs]
        assert len(files) == len(train)
    easy_frac = []
    for sid in train:
        easy = read_png(osp.join(out, 'easy', sid + '.png'))
        hard = read_png(osp.join(out, 'hard', sid + '.png'))
        gt = gt_of(phantom_root, sid).astype(bool)
        img = read_png(osp.join(phantom_root, sid + '.png'))
        assert easy.shape == hard.shape == gt.shape == img.shape[:2]
        assert set(np.unique(easy)) <= {0, 255}
        assert set(np.unique(hard)) <= {0, 255}
        easy, hard = easy > 0, hard > 0
        assert not (easy & ~gt).any() and not (hard & ~gt).any()  # in GT
        assert not (easy & hard).any()  # disjoint
        easy_frac.append(easy.sum() / gt.sum())
    assert meta['mean_easy_fraction_of_gt'] == pytest.approx(
        np.mean(easy_frac))
    # teacher quality: per-image shares that add up, their summary, the
    # teacher's own val IoU; no student reference, so no warning
    rows = {r['sample_id']: r for r in meta['per_image']}
    assert len(rows) == len(train) - meta['num_empty_gt']
    for sid, r in rows.items():
        gt = gt_of(phantom_root, sid).astype(bool)
        assert r['lesion_pixels'] == gt.sum()
        assert r['easy'] + r['hard'] + r['missed'] == pytest.approx(1.0)
    assert meta['shares']['easy']['mean'] == pytest.approx(
        np.mean([r['easy'] for r in rows.values()]))
    assert meta['shares']['missed']['min'] == min(
        r['missed'] for r in rows.values())
    tv = meta['teacher_val']
    assert 0.0 <= tv['IoU'] <= 1.0 and tv['level'] == 4
    assert tv['IoU'] == tv['level_IoU'][-1] and len(tv['level_IoU']) == 4
    assert tv['num_images'] == len(split[tv['split_part']]) > 0
    assert meta['teacher_warning'] is None
    assert 'teacher val IoU' in proc.stdout and 'missed' in proc.stdout
    for sid in split['test']:  # held-out fold: no masks
        assert not osp.exists(osp.join(out, 'easy', sid + '.png'))
    assert 'LoadCurriculumMasks' in proc.stdout


def test_mine_resizes_levels_back_and_applies_eqs_23_24(
        phantom_root, tmp_path):
    """A stub teacher with known level maps: level 1 fires on the left half,
    level 4 on the left three quarters of the 224x224 input. The masks must
    be E_p = GT & left half and H_p = GT & third quarter at the 96x96
    original size."""
    from mmseg.registry import MODELS
    pc = load_tool(CURRICULUM_TOOL)
    cfg = load_config(TEACHER, {
        f'{k}_dataloader.dataset.data_root': phantom_root
        for k in ('train', 'val', 'test')
    })
    dataset, pipeline = pc.build_mining_dataset(cfg, 'train')

    class Stub(nn.Module):
        align_corners = False

        def __init__(self):
            super().__init__()
            self.data_preprocessor = MODELS.build(
                cfg.model.data_preprocessor)

        def predict_levels(self, inputs):
            b, _, h, w = inputs.shape
            assert (h, w) == (224, 224)  # the test pipeline's size
            probs = torch.zeros(b, 4, h, w)
            probs[:, 0, :, :w // 2] = 0.9
            probs[:, 3, :, :3 * w // 4] = 0.9
            probs[:, 1:3] = 0.9  # levels 2-3 are not used
            return probs

    out = str(tmp_path / 'cur')
    stats = pc.mine(Stub(), dataset, pipeline, out, thr=0.5, batch_size=3)
    assert stats['num_images'] == len(dataset)
    nonempty = 0
    for sid in stats['sample_ids']:
        gt = gt_of(phantom_root, sid).astype(bool)
        cols = np.arange(gt.shape[1])[None, :]
        exp_easy = gt & (cols < 48)
        exp_hard = gt & (cols >= 48) & (cols < 72)
        easy = read_png(osp.join(out, 'easy', sid + '.png')) > 0
        hard = read_png(osp.join(out, 'hard', sid + '.png')) > 0
        np.testing.assert_array_equal(easy, exp_easy)
        np.testing.assert_array_equal(hard, exp_hard)
        nonempty += int(exp_easy.any() and exp_hard.any())
    assert nonempty > 0


def test_prepare_curriculum_refuses_overwrite(curriculum, phantom_root,
                                              tmp_path):
    src, _ = curriculum
    out = str(tmp_path / 'copy')
    shutil.copytree(src, out)
    meta = json.load(open(osp.join(out, 'curriculum_meta.json')))
    probe = osp.join(out, 'easy', meta['sample_ids'][0] + '.png')
    before = os.path.getmtime(probe)
    args = [CURRICULUM_TOOL, TEACHER, '--out', out,
            '--checkpoint', meta['checkpoint'], '--device', 'cpu',
            '--cfg-options', *TEACHER_OPTS, *data_root_options(phantom_root)]
    proc = run_tool(*args, check=False)
    assert proc.returncode != 0
    assert '--overwrite' in proc.stderr and 'not empty' in proc.stderr
    assert os.path.getmtime(probe) == before
    # with --overwrite (and the trained teacher): masks are re-mined; a
    # student reference above the teacher's val IoU is warned about
    proc = run_tool(*args, '--overwrite', '--thr', '0.3', '--student-iou',
                    '1.0')
    meta = json.load(open(osp.join(out, 'curriculum_meta.json')))
    assert meta['thr'] == 0.3 and meta['student_val_IoU'] == 1.0
    assert meta['teacher_warning'].startswith('WARNING')
    assert "below the student's Model-1 val IoU 1.000" in proc.stderr
    assert osp.isfile(probe) and osp.isdir(osp.join(out, 'unetpp'))


def test_lesion_shares_and_teacher_warning(tmp_path):
    pc = load_tool(CURRICULUM_TOOL)
    gt = np.zeros((4, 5), bool)
    gt[:, :4] = True  # 16 px
    easy = np.zeros_like(gt)
    easy[:1, :4] = True  # 4
    hard = np.zeros_like(gt)
    hard[1:3, :4] = True  # 8
    assert pc.lesion_shares(easy, hard, gt) == dict(easy=0.25, hard=0.5,
                                                    missed=0.25)
    with pytest.raises(ValueError, match='lesion'):
        pc.lesion_shares(easy, hard, np.zeros_like(gt))
    s = pc.share_summary([dict(easy=0.2, hard=0.5, missed=0.3),
                          dict(easy=0.4, hard=0.5, missed=0.1)])
    assert s['easy'] == dict(mean=pytest.approx(0.3), median=pytest.approx(
        0.3), min=0.2, max=0.4)
    assert pc.teacher_warning(0.60, 0.57) is None
    assert pc.teacher_warning(0.50, None) is None
    assert '0.500' in pc.teacher_warning(0.50, 0.57)
    # the student's best val IoU from its logs (a resumed run: two logs)
    for stamp, ious in (('20260101_000000', [0.4, 0.55]),
                        ('20260102_000000', [0.5])):
        d = tmp_path / 'm1' / stamp / 'vis_data'
        d.mkdir(parents=True)
        (d / 'scalars.json').write_text(''.join(
            json.dumps(dict(loss=1.0, step=i)) + '\n' +
            json.dumps(dict(IoU=v, Dice=v, step=i)) + '\n'
            for i, v in enumerate(ious)))
    assert best_val_iou(str(tmp_path / 'm1')) == 0.55
    assert pc.student_val_iou(str(tmp_path / 'm1')) == 0.55
    with pytest.raises(SystemExit, match='no val IoU'):
        best_val_iou(str(tmp_path))
    with pytest.raises(SystemExit, match='--student-iou'):
        pc.student_val_iou(str(tmp_path))
    with pytest.raises(SystemExit):
        pc.parse_args(['c.py', '--out', 'x', '--student-iou', '57'])


def test_prepare_curriculum_needs_a_unetpp_config(phantom_root, tmp_path):
    proc = run_tool(CURRICULUM_TOOL, STUDENT, '--out',
                    str(tmp_path / 'x'), '--cfg-options',
                    *data_root_options(phantom_root), check=False)
    assert proc.returncode != 0
    assert 'UNetPlusPlus' in proc.stderr
    assert not osp.exists(tmp_path / 'x')


@pytest.fixture(scope='module')
def trained(curriculum, phantom_root, tmp_path_factory):
    """tools/train.py on the epoch-based BUSI config with the curriculum."""
    out, _ = curriculum
    work = str(tmp_path_factory.mktemp('taichinet') / 'run')
    opts = STUDENT_OPTS + data_root_options(phantom_root)
    proc = run_tool('tools/train.py', STUDENT, '--work-dir', work,
                    '--cfg-options', *opts,
                    'train_dataloader.dataset.pipeline.2.curriculum_dir='
                    + out)
    return work, opts, proc.stdout + proc.stderr


def test_taichinet_trains_epochs_and_switches_curriculum_stage(trained):
    work, _, log = trained
    files = os.listdir(work)
    assert 'epoch_2.pth' in files
    assert any(f.startswith('best_IoU_epoch') for f in files)
    train = json.load(open(osp.join(work, 'split.json')))['train']
    iters = math.ceil(len(train) / 16)  # batch 16, DefaultSampler
    assert f'Epoch(train) [1][{iters}/{iters}]' in log
    assert f'Epoch(train) [2][{iters}/{iters}]' in log
    assert 'CurriculumHook: stage 1 (easy parts E_p) from epoch 0' in log
    assert ('CurriculumHook: stage 2 (hard parts H_p + L_C) from epoch 1 '
            '(switch_epoch=1)') in log
    stage1, stage2 = log.split('CurriculumHook: stage 2')
    first = [ln for ln in stage1.splitlines() if 'Epoch(train)' in ln][0]
    assert 'loss_easy' in first and 'loss_hard' not in first
    assert 'loss_comp' not in first
    second = [ln for ln in stage2.splitlines() if 'Epoch(train)' in ln][0]
    assert 'loss_hard' in second and 'loss_comp' in second
    ckpt = torch.load(osp.join(work, 'epoch_2.pth'))
    assert any(k.startswith('neck.') for k in ckpt['state_dict'])
    assert any(k.startswith('comp_head.') for k in ckpt['state_dict'])


@pytest.fixture(scope='module')
def tested(trained, tmp_path_factory):
    """tools/test.py on the trained run, with overlays and masks."""
    work, opts, _ = trained
    out = str(tmp_path_factory.mktemp('taichinet_test') / 'test')
    proc = run_tool('tools/test.py', STUDENT, osp.join(work, 'epoch_2.pth'),
                    '--work-dir', out, '--show-dir', out + '/overlays',
                    '--out', out + '/masks', '--cfg-options', *opts)
    return out, proc


def test_taichinet_test_show_dir_and_distractors(trained, tested,
                                                 phantom_root):
    work, _, _ = trained
    out, proc = tested
    m = json.load(open(osp.join(out, 'test_metrics.json')))['metrics'][
        'model']
    test_ids = json.load(open(osp.join(work, 'split.json')))['test']
    assert m['num_images'] == len(test_ids)
    assert 0.0 <= m['Dice'] <= 1.0
    assert len(os.listdir(out + '/overlays')) == len(test_ids)
    masks = sorted(os.listdir(out + '/masks'))
    assert len(masks) == len(test_ids)
    mask = read_png(osp.join(out, 'masks', masks[0]))
    assert set(np.unique(mask)) <= {0, 255}
    assert 'IoU=' in proc.stdout
    proc = run_tool(DISTRACTOR_TOOL, out + '/masks',
                    phantom_root)
    assert f'images: {len(test_ids)}' in proc.stdout
    assert 'FP pixels on distractors: mean' in proc.stdout


def test_taichinet_test_each_readout(trained, tested, tmp_path):
    """--predict-with positive negative mean: one set of metrics and one
    per-image CSV per output; 'positive' is what a plain test reports."""
    work, opts, _ = trained
    ckpt = osp.join(work, 'epoch_2.pth')
    plain, _ = tested
    out = str(tmp_path / 'readouts')
    run_tool('tools/test.py', STUDENT, ckpt, '--work-dir', out,
             '--predict-with', 'positive', 'negative', 'mean', '--csv',
             out + '/per_image.csv', '--cfg-options', *opts)
    metrics = json.load(open(osp.join(out, 'test_metrics.json')))['metrics']
    assert set(metrics) == {'positive', 'negative', 'mean'}
    default = json.load(open(osp.join(plain, 'test_metrics.json')))[
        'metrics']['model']
    assert metrics['positive']['Dice'] == pytest.approx(default['Dice'])
    assert sorted(f for f in os.listdir(out) if f.endswith('.csv')) == [
        'per_image_mean.csv', 'per_image_negative.csv',
        'per_image_positive.csv']


def test_predict_with_names_the_outputs_of_the_model():
    """Outputs a model does not have are refused before anything runs."""
    from mmengine.config import ConfigDict
    tool = load_tool('tools/test.py')
    tool.check_readouts(['negative', 'mean'], ConfigDict(type='TaiChiNet'))
    for readouts, model, msg in (
            (['generator_a'], dict(type='TaiChiNet'),
             'TaiChiNet predicts with positive, negative, mean'),
            (['positive'], dict(type='ASSGAN'), 'ASSGAN predicts with'),
            (['mean'], dict(type='UNetPlusPlus'), 'ASSGAN and TaiChiNet '
             'models only'),
            (['negative'], dict(type='TaiChiNet', ablation='model1'),
             'need the negative path'),
            (['mean'], dict(type='TaiChiNet', use_negative_path=False),
             'need the negative path')):
        with pytest.raises(SystemExit, match=msg):
            tool.check_readouts(readouts, ConfigDict(model))


def test_taichinet_infer(trained, phantom_root, tmp_path):
    work, _, _ = trained
    out = str(tmp_path / 'infer')
    run_tool('tools/infer.py', STUDENT, osp.join(work, 'epoch_2.pth'),
             osp.join(phantom_root, 'malignant'), '--out-dir', out,
             '--device', 'cpu', '--cfg-options',
             'model.backbone.base_channels=4')
    masks = sorted(os.listdir(osp.join(out, 'masks')))
    assert len(masks) == 12 and 'malignant (1).png' in masks
    m = read_png(osp.join(out, 'masks', 'malignant (1).png'))
    img = read_png(osp.join(phantom_root, 'malignant', 'malignant (1).png'))
    assert m.shape == img.shape[:2]


def test_missing_curriculum_masks_fail_clearly(phantom_root, tmp_path):
    missing = str(tmp_path / 'no_curriculum')
    proc = run_tool('tools/train.py', STUDENT, '--work-dir',
                    str(tmp_path / 'w'), '--cfg-options', *STUDENT_OPTS,
                    *data_root_options(phantom_root),
                    f'train_dataloader.dataset.pipeline.2.curriculum_dir='
                    f'{missing}', check=False)
    assert proc.returncode != 0
    assert 'LoadCurriculumMasks' in proc.stderr
    assert 'does not exist' in proc.stderr and missing in proc.stderr
    assert 'tools/misc/prepare_curriculum.py' in proc.stderr


def test_analyze_distractors_counts_fp_on_distractors(tmp_path):
    distractor_false_positives = load_tool(
        DISTRACTOR_TOOL).distractor_false_positives
    root, pred_dir = tmp_path / 'ph', tmp_path / 'pred'
    for d in (root / 'benign', root / 'normal', root / 'distractor_masks',
              pred_dir):
        d.mkdir(parents=True)

    def write(path, mask):
        cv2.imwrite(str(path), mask.astype(np.uint8) * 255)

    z = np.zeros((10, 10), bool)
    gt, dist, pred = z.copy(), z.copy(), z.copy()
    gt[0:4, 0:4] = True
    dist[5:10, 5:10] = True  # 25 distractor pixels
    pred[0:4, 0:4] = True  # TP
    pred[5:7, 5:10] = True  # 10 FP on the distractor
    pred[0, 8] = True  # 1 FP elsewhere
    write(root / 'benign' / 'benign (1)_mask.png', gt)
    write(root / 'distractor_masks' / 'benign (1).png', dist)
    write(pred_dir / 'benign__benign (1).png', pred)
    # a normal image: empty GT, 4 FP pixels on its distractor
    write(root / 'normal' / 'normal (1)_mask.png', z)
    d2, p2 = z.copy(), z.copy()
    d2[0:2, 0:2] = True
    p2[0:2, 0:2] = True
    write(root / 'distractor_masks' / 'normal (1).png', d2)
    write(pred_dir / 'normal__normal (1).png', p2)
    res = distractor_false_positives(str(pred_dir), str(root))
    per = {r['sample_id']: r for r in res['per_image']}
    assert per['benign/benign (1)']['fp_on_distractor'] == 10
    assert per['benign/benign (1)']['fp_pixels'] == 11
    assert per['normal/normal (1)']['fp_on_distractor'] == 4
    assert res['total_fp_on_distractor'] == 14
    assert res['mean_fp_on_distractor'] == 7.0
    assert res['distractor_fp_rate'] == pytest.approx(14 / 29)
    assert res['fp_share_on_distractor'] == pytest.approx(14 / 15)
    with pytest.raises(FileNotFoundError, match='distractor_masks'):
        distractor_false_positives(str(pred_dir), str(tmp_path))


def test_teacher_trains_with_the_fast_path_flags(monkeypatch, tmp_path):
    """prepare_curriculum.py passes --amp/--no-amp/--channels-last on to the
    teacher's tools/train.py (the mining itself stays fp32)."""
    tool = load_tool(CURRICULUM_TOOL)
    calls = []
    monkeypatch.setattr(tool.subprocess, 'call',
                        lambda argv: calls.append(argv) or 1)
    args = tool.parse_args([TEACHER, '--out', str(tmp_path), '--no-amp',
                            '--channels-last=auto'])
    with pytest.raises(SystemExit, match='training the teacher failed'):
        tool.train_teacher(TEACHER, str(tmp_path / 'unetpp'), None, False,
                           tool.fast_path_argv(args))
    argv = calls[0]
    assert argv[1].endswith('train.py')
    assert '--no-amp' in argv and '--channels-last=auto' in argv


def test_cross_val_gives_the_teacher_the_students_precision(phantom_root,
                                                             tmp_path):
    """A --no-amp cross-validation trains each fold's teacher in fp32 too
    (the printed prepare_curriculum.py command of the dry run)."""
    proc = run_tool('tools/cross_val.py', STUDENT, '--num-folds', '3',
                    '--data-root', phantom_root, '--work-dir',
                    str(tmp_path / 'cv'), '--curriculum-teacher', TEACHER,
                    '--no-amp', '--dry-run')
    teacher = [line for line in proc.stdout.splitlines()
               if 'prepare_curriculum.py' in line]
    assert len(teacher) == 3
    assert all('--no-amp' in line for line in teacher)


def test_teacher_resumes_a_killed_training(monkeypatch, tmp_path):
    """--resume continues the teacher in <out>/unetpp (tools/train.py
    --resume, not --overwrite) and refuses a given --checkpoint."""
    tool = load_tool(CURRICULUM_TOOL)
    calls = []
    monkeypatch.setattr(tool.subprocess, 'call',
                        lambda argv: calls.append(argv) or 1)
    with pytest.raises(SystemExit, match='training the teacher failed'):
        tool.train_teacher(TEACHER, str(tmp_path / 'unetpp'), None, True,
                           resume=True)
    assert '--resume' in calls[0] and '--overwrite' not in calls[0]
    with pytest.raises(SystemExit):
        tool.parse_args([TEACHER, '--out', str(tmp_path), '--resume',
                         '--checkpoint', str(tmp_path / 'best.pth')])


def test_cross_val_resumes_a_killed_teacher(phantom_root, tmp_path):
    """Rerunning a cross-validation resumes a fold's teacher killed midway
    (a checkpoint in curriculum/unetpp), retrains one that left no
    checkpoint and starts the others afresh."""
    cv = tmp_path / 'cv'
    killed = cv / 'fold_0' / 'curriculum' / 'unetpp'
    killed.mkdir(parents=True)
    (killed / 'iter_400.pth').write_bytes(b'')
    (cv / 'fold_1' / 'curriculum').mkdir(parents=True)
    proc = run_tool('tools/cross_val.py', STUDENT, '--num-folds', '3',
                    '--data-root', phantom_root, '--work-dir', str(cv),
                    '--curriculum-teacher', TEACHER, '--dry-run')
    teacher = [line for line in proc.stdout.splitlines()
               if 'prepare_curriculum.py' in line]
    assert len(teacher) == 3
    assert '--resume' in teacher[0] and '--overwrite' not in teacher[0]
    assert '--overwrite' in teacher[1] and '--resume' not in teacher[1]
    assert '--resume' not in teacher[2] and '--overwrite' not in teacher[2]
