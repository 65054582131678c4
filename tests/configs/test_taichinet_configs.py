"""The TaiChiNet configs: they build, follow Sec. V-B, and the ablation rows
reproduce Table I's parameter counts."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch.nn as nn
from mmengine.config import Config
from mmseg.registry import DATASETS, MODELS, TRANSFORMS

from bus_mm.apis import TABLE_I, count_params

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CFG_DIR = osp.join(REPO, 'configs', 'taichinet')
CONFIGS = sorted(
    osp.basename(p) for p in glob.glob(osp.join(CFG_DIR, '*.py')))
BUSI = 'taichinet_busi-224.py'
ABLATIONS = {f'model{k}': f'taichinet_ablation-model{k}_busi-224.py'
             for k in range(1, 8)}
WITH_CURRICULUM = {
    'taichinet_busi-224.py': 'taichinet',
    'taichinet_busi-with-normal-224.py': 'taichinet',
    'taichinet_datasetb-224.py': 'taichinet',
    'taichinet_cons-ml_busi-224.py': 'taichinet_cons_ml',
    'taichinet_head-a_busi-224.py': 'taichinet_head_a',
    'taichinet_head-b_busi-224.py': 'taichinet_head_b',
    'taichinet_phantom-demo.py': 'taichinet',
    'taichinet_busi-cpu128.py': 'taichinet',
    'taichinet_busi-with-normal-cpu128.py': 'taichinet',
    'taichinet_busi-cpu128-w32.py': 'taichinet',
    'taichinet_busi-with-normal-cpu128-w32.py': 'taichinet',
}
WITH_NORMAL_CPU128 = {
    'unet_busi-with-normal-cpu128.py': 'unet_busi-cpu128.py',
    'taichinet_busi-with-normal-cpu128_no-curriculum.py':
    'taichinet_busi-cpu128_no-curriculum.py',
    'taichinet_busi-with-normal-cpu128.py': 'taichinet_busi-cpu128.py',
    'unetpp_busi-with-normal-cpu128.py': 'unetpp_busi-cpu128.py',
}


# the paper's width (Table I, Fig. 3) on the cpu128 footing: each -w32 config
# and the cpu128 config it inherits
PAPER_WIDTH = {
    'unet_busi-cpu128-w32.py': 'unet_busi-cpu128.py',
    'taichinet_busi-cpu128-w32_no-curriculum.py':
    'taichinet_busi-cpu128_no-curriculum.py',
    'taichinet_busi-cpu128-w32.py': 'taichinet_busi-cpu128.py',
    'unetpp_busi-cpu128-w32.py': 'unetpp_busi-cpu128.py',
    'unet_busi-with-normal-cpu128-w32.py': 'unet_busi-with-normal-cpu128.py',
    'taichinet_busi-with-normal-cpu128-w32_no-curriculum.py':
    'taichinet_busi-with-normal-cpu128_no-curriculum.py',
    'taichinet_busi-with-normal-cpu128-w32.py':
    'taichinet_busi-with-normal-cpu128.py',
    'unetpp_busi-with-normal-cpu128-w32.py':
    'unetpp_busi-with-normal-cpu128.py',
}
PAPER_CHANNELS = (32, 64, 128, 256, 512)


def load(name):
    return Config.fromfile(osp.join(CFG_DIR, name))


def types(pipeline):
    return [t['type'] for t in pipeline]


def test_all_expected_configs_shipped():
    expected = set(ABLATIONS.values()) | set(WITH_CURRICULUM) | {
        'unetpp_busi-224.py', 'unetpp_busi-with-normal-224.py',
        'unetpp_datasetb-224.py', 'unetpp_phantom-demo.py',
        'unet_phantom-demo.py', 'unet_busi-cpu128.py',
        'unetpp_busi-cpu128.py', 'taichinet_busi-cpu128_no-curriculum.py'
    } | set(PAPER_WIDTH)
    assert expected <= set(CONFIGS), expected - set(CONFIGS)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_model_and_names_registered_parts(name):
    cfg = load(name)
    assert 'bus_mm' in cfg.custom_imports['imports']
    model = MODELS.build(cfg.model)
    assert type(model).__name__ in ('TaiChiNet', 'UNetPlusPlus')
    # 1-channel grey input in [0, 1]
    assert cfg.model.data_preprocessor.mean == [0.0]
    assert cfg.model.data_preprocessor.std == [255.0]
    assert cfg.model.data_preprocessor.size_divisor == 32
    first = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    assert first.in_channels == 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        assert DATASETS.get(ds.type) is not None
        for t in ds.pipeline:
            assert TRANSFORMS.get(t['type']) is not None, t['type']
        assert types(ds.pipeline)[-2:] == ['RGB2Gray', 'PackBUSInputs']
    # tools/infer.py reads the top-level test pipeline
    assert cfg.test_pipeline == cfg.test_dataloader.dataset.pipeline


@pytest.mark.parametrize('name', CONFIGS)
def test_curriculum_only_where_the_model_uses_it(name):
    cfg = load(name)
    model = MODELS.build(cfg.model)
    uses = bool(getattr(model, 'use_curriculum', False))
    pipeline = types(cfg.train_dataloader.dataset.pipeline)
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert ('LoadCurriculumMasks' in pipeline) == uses
    assert ('CurriculumHook' in hooks) == uses
    assert 'SplitRecorderHook' in hooks
    if uses:
        # loaded right after the ground truth, before any geometric transform
        assert pipeline.index('LoadCurriculumMasks') == \
            pipeline.index('LoadBUSAnnotations') + 1
        assert name in WITH_CURRICULUM
        assert model.ablation == WITH_CURRICULUM[name]


def test_busi_config_follows_the_paper():
    cfg = load(BUSI)
    train = cfg.train_dataloader
    assert train.batch_size == 16
    assert train.sampler.type == 'DefaultSampler'
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == 40
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.default_hooks.checkpoint.by_epoch
    assert cfg.log_processor.by_epoch
    steps = {t['type']: t for t in train.dataset.pipeline}
    assert steps['Resize']['scale'] == (224, 224)
    assert not steps['Resize']['keep_ratio']
    assert tuple(steps['RandomRot90']['angles']) == (90, 180, 270)
    assert steps['RandomRotate']['degree'] == 10
    assert steps['RandomRotate']['seg_pad_val'] == 0
    assert tuple(steps['RandomGamma']['gamma_range']) == (0.5, 1.5)
    assert tuple(steps['RandomShear']['rate_range']) == (0.6, 1.3)
    assert steps['LoadCurriculumMasks']['curriculum_dir'] == \
        'work_dirs/curriculum/busi_fold0'
    # 5-fold CV, the held-out fold is validated and tested
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert dict(cfg[loader].dataset.split) == dict(
            type='kfold', num_folds=5, fold=0, seed=0)
        assert not cfg[loader].dataset.include_normal
    assert cfg.val_dataloader.dataset.split_part == 'test'
    assert cfg.test_dataloader.dataset.split_part == 'test'
    assert train.dataset.split_part == 'train'
    # the switch defaults to half of training
    curriculum = [h for h in cfg.custom_hooks
                  if h['type'] == 'CurriculumHook'][0]
    assert curriculum.get('switch_epoch') is None


def test_variants_change_only_what_they_should():
    busi = load(BUSI)
    for abl, name in ABLATIONS.items():
        cfg = load(name)
        assert cfg.model.ablation == abl
        assert {k: v for k, v in cfg.model.items() if k != 'ablation'} == \
            {k: v for k, v in busi.model.items() if k != 'ablation'}
        assert types(cfg.train_dataloader.dataset.pipeline) == types(
            busi.plain_train_pipeline)
        for key in ('optim_wrapper', 'train_cfg', 'val_dataloader',
                    'test_dataloader', 'randomness'):
            assert cfg[key] == busi[key], (name, key)
    for name in ('taichinet_cons-ml_busi-224.py',
                 'taichinet_head-a_busi-224.py',
                 'taichinet_head-b_busi-224.py'):
        cfg = load(name)
        for key in ('train_dataloader', 'custom_hooks', 'optim_wrapper',
                    'train_cfg'):
            assert cfg[key] == busi[key], (name, key)
    normal = load('taichinet_busi-with-normal-224.py')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert normal[loader].dataset.include_normal
    assert types(normal.train_dataloader.dataset.pipeline) == types(
        busi.train_dataloader.dataset.pipeline)


def test_with_normal_cpu128_configs_only_add_normal_images():
    for name, base in WITH_NORMAL_CPU128.items():
        cfg, ref = load(name), load(base)
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            assert cfg[loader].dataset.include_normal, (name, loader)
            assert not ref[loader].dataset.include_normal
            a, b = dict(cfg[loader].dataset), dict(ref[loader].dataset)
            pa, pb = a.pop('pipeline'), b.pop('pipeline')
            a.pop('include_normal'), b.pop('include_normal')
            assert a == b, (name, loader)
            # the same steps; only the curriculum dir may differ
            assert [{k: v for k, v in t.items() if k != 'curriculum_dir'}
                    for t in pa] == [{k: v for k, v in t.items()
                                      if k != 'curriculum_dir'} for t in pb]
        for key in ('model', 'optim_wrapper', 'train_cfg', 'custom_hooks',
                    'randomness'):
            assert cfg[key] == ref[key], (name, key)
    cur = [t for t in load('taichinet_busi-with-normal-cpu128.py')
           .train_dataloader.dataset.pipeline
           if t['type'] == 'LoadCurriculumMasks'][0]
    assert 'with-normal' in cur.curriculum_dir


def test_part_target_default_is_masked():
    cfg = load('taichinet_busi-cpu128.py')
    assert cfg.model.part_target == 'masked'
    assert MODELS.build(cfg.model).part_target == 'masked'


def test_teachers_match_their_students():
    pairs = [('unetpp_busi-224.py', 'taichinet_busi-224.py'),
             ('unetpp_busi-with-normal-224.py',
              'taichinet_busi-with-normal-224.py'),
             ('unetpp_datasetb-224.py', 'taichinet_datasetb-224.py'),
             ('unetpp_phantom-demo.py', 'taichinet_phantom-demo.py')]
    dirs = set()
    for teacher, student in pairs:
        t, s = load(teacher), load(student)
        assert t.model.type == 'UNetPlusPlus'
        # same images (split, fold, normals) and schedule
        for loader in ('train_dataloader', 'val_dataloader'):
            for key in ('type', 'data_root', 'split', 'split_part'):
                assert t[loader].dataset.get(key) == \
                    s[loader].dataset.get(key), (teacher, loader, key)
            assert t[loader].dataset.get('include_normal') == \
                s[loader].dataset.get('include_normal')
        assert t.train_cfg == s.train_cfg
        steps = [x for x in s.train_dataloader.dataset.pipeline
                 if x['type'] != 'LoadCurriculumMasks']
        assert t.train_dataloader.dataset.pipeline == steps
        dirs.add([x for x in s.train_dataloader.dataset.pipeline
                  if x['type'] == 'LoadCurriculumMasks'][0].curriculum_dir)
    assert len(dirs) == len(pairs)  # one curriculum dir per data setting


def test_phantom_demo_comparison_shares_the_schedule():
    tc, unet = load('taichinet_phantom-demo.py'), load('unet_phantom-demo.py')
    assert unet.model.ablation == 'model1'
    for key in ('optim_wrapper', 'train_cfg', 'randomness', 'val_dataloader',
                'test_dataloader'):
        assert unet[key] == tc[key], key
    assert tc.model.backbone.base_channels == 16
    steps = {t['type']: t for t in tc.train_dataloader.dataset.pipeline}
    assert steps['Resize']['scale'] == (128, 128)
    assert steps['LoadCurriculumMasks']['curriculum_dir'] == \
        'work_dirs/curriculum/phantom'


def test_ablation_configs_reproduce_table_1_parameter_counts():
    rows = [count_params(osp.join(CFG_DIR, ABLATIONS[k]))
            for k in sorted(ABLATIONS)]
    rows.append(count_params(osp.join(CFG_DIR, BUSI)))
    for row, key in zip(rows, sorted(ABLATIONS) + ['taichinet']):
        assert row['ablation'] == key
        assert row['reference_m'] == TABLE_I[key]
        assert abs(row['total'] / (TABLE_I[key] * 1e6) - 1) < 0.01, row
    totals = {r['ablation']: r['total'] for r in rows}
    # CLoss adds nothing, CAtt ~1.05M, the MLP head 98 parameters
    assert totals['model2'] == totals['model3'] == 2 * totals['model1']
    assert totals['model4'] == totals['model6']
    assert totals['model4'] - totals['model2'] == 1_050_624
    assert totals['model5'] - totals['model3'] == 98
    assert totals['model7'] == totals['taichinet']


def test_busi_train_pipeline_moves_curriculum_masks_with_the_gt(tmp_path):
    """Through the paper's augmentations (rot90, +-10 deg, gamma, shear) the
    easy/hard parts stay aligned with the ground truth: E_p | H_p == G_p."""
    from bus_mm.datasets.mask_io import read_union_mask
    from bus_mm.datasets.phantom import make_phantom_dataset
    root, cur = str(tmp_path / 'ph'), tmp_path / 'cur'
    make_phantom_dataset(root, num_benign=4, num_malignant=2, num_normal=0,
                         size=(80, 96), seed=0)
    cfg = load(BUSI)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = root
    ds_cfg.pipeline[2].curriculum_dir = str(cur)
    dataset = DATASETS.build(ds_cfg)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        gt = read_union_mask(info['mask_paths'])
        easy = gt * (np.arange(gt.shape[1]) < gt.shape[1] // 2)[None]
        for sub, part in (('easy', easy), ('hard', gt - easy)):
            path = cur / sub / (info['sample_id'] + '.png')
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), part.astype(np.uint8) * 255)
    for seed in range(6):
        np.random.seed(seed)
        for i in range(len(dataset)):
            sample = dataset[i]
            assert tuple(sample['inputs'].shape) == (1, 224, 224)
            ds = sample['data_samples']
            gt = ds.gt_sem_seg.data
            easy, hard = ds.gt_easy_part.data, ds.gt_hard_part.data
            assert gt.shape == easy.shape == hard.shape == (1, 224, 224)
            assert set(gt.unique().tolist()) <= {0, 1}
            assert ((easy | hard) == gt).all() and not (easy & hard).any()


def _without_width_and_schedule(cfg):
    """The config as a dict without the model widths and ``train_cfg``."""
    out = cfg.to_dict()
    out.pop('train_cfg')
    model = out['model']
    if model['type'] == 'UNetPlusPlus':
        model.pop('channels')
    else:
        model['backbone'].pop('base_channels')
    return out


@pytest.mark.parametrize('name', sorted(PAPER_WIDTH))
def test_paper_width_configs_change_only_width_and_schedule(name):
    cfg, ref = load(name), load(PAPER_WIDTH[name])
    model = MODELS.build(cfg.model)
    if cfg.model.type == 'UNetPlusPlus':
        assert tuple(cfg.model.channels) == PAPER_CHANNELS
        assert tuple(ref.model.channels) == (8, 16, 32, 64, 128)
    else:
        assert cfg.model.backbone.base_channels == 32
        assert ref.model.backbone.base_channels == 8
        for path in ('backbone_p', 'backbone_n'):
            net = getattr(model, path, None)
            if net is None:
                continue  # Model 1: the positive path only
            # Fig. 3's five levels, 32-64-128-256-512
            widths = [stage[-1].convs[-1].conv.out_channels
                      for stage in net.encoder]
            assert tuple(widths) == PAPER_CHANNELS, (name, path, widths)
    # 1200 iterations, validation (and checkpoints) every 100
    assert cfg.train_cfg.max_iters == 1200 and ref.train_cfg.max_iters == 600
    assert cfg.train_cfg.val_interval == 100
    assert cfg.default_hooks.checkpoint.interval == 100
    assert (cfg.amp, cfg.channels_last) == ('auto', 'auto')
    # nothing else: data, augmentation, batch, optimizer, hooks, fast path
    assert _without_width_and_schedule(cfg) == \
        _without_width_and_schedule(ref)
    assert cfg.train_dataloader.batch_size == 8


def test_paper_width_configs_reproduce_table_1_parameter_counts():
    expected = {
        'unet_busi-cpu128-w32.py': ('model1', 8_633_345),
        'taichinet_busi-cpu128-w32_no-curriculum.py': ('model7', 18_317_412),
        'taichinet_busi-cpu128-w32.py': ('taichinet', 18_317_412),
    }
    for name, (ablation, total) in expected.items():
        row = count_params(osp.join(CFG_DIR, name))
        assert (row['ablation'], row['total']) == (ablation, total), row
        # Table I: 8.64M (Model 1), 18.33M (Model 7, TaiChiNet)
        assert row['reference_m'] == TABLE_I[ablation]
        assert abs(row['diff']) < 0.01, row
        # the same network as the 224 px paper configs
        ref = BUSI if ablation == 'taichinet' else ABLATIONS[ablation]
        assert count_params(osp.join(CFG_DIR, ref))['total'] == total
    teacher = count_params(osp.join(CFG_DIR, 'unetpp_busi-cpu128-w32.py'))
    assert teacher['model'] == 'UNetPlusPlus'
    assert teacher['total'] == count_params(
        osp.join(CFG_DIR, 'unetpp_busi-224.py'))['total'] == 9_159_204


def test_paper_width_teachers_match_their_students():
    pairs = [('unetpp_busi-cpu128-w32.py', 'taichinet_busi-cpu128-w32.py'),
             ('unetpp_busi-with-normal-cpu128-w32.py',
              'taichinet_busi-with-normal-cpu128-w32.py')]
    for teacher, student in pairs:
        t, s = load(teacher), load(student)
        assert t.model.type == 'UNetPlusPlus'
        assert tuple(t.model.channels) == PAPER_CHANNELS
        assert s.model.backbone.base_channels == t.model.channels[0]
        for loader in ('train_dataloader', 'val_dataloader'):
            for key in ('type', 'data_root', 'split', 'split_part',
                        'include_normal'):
                assert t[loader].dataset.get(key) == \
                    s[loader].dataset.get(key), (teacher, loader, key)
        assert t.train_cfg == s.train_cfg
        steps = [x for x in s.train_dataloader.dataset.pipeline
                 if x['type'] != 'LoadCurriculumMasks']
        assert t.train_dataloader.dataset.pipeline == steps
