"""Every shipped config parses (mmengine inheritance, `mmseg::` bases with the
pinned setuptools) and builds its model; dataset configs name real classes."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS, MODELS

from bus_mm.datasets.splits import build_split

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
IDS = [f'img{i:04d}' for i in range(1500)]
STRATA = ['benign' if i % 3 else 'malignant' for i in range(1500)]


def test_configs_found():
    assert 'configs/assgan_sdbui_15pct.py' in CONFIGS
    assert len(CONFIGS) >= 5


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path):
    cfg = Config.fromfile(osp.join(REPO, path))
    assert cfg.default_scope == 'mmseg'
    assert 'bus_mm' in cfg.custom_imports['imports']
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader]['dataset']
        for d in ds.get('datasets', [ds]):
            assert DATASETS.get(d['type']) is not None, d['type']
            # the merged split spec (base + child) is one the dataset accepts
            split = build_split(d.get('split'), IDS, STRATA)
            if split is not None:
                assert set(split) >= {'train', 'val', 'test'}, (loader, split)


def test_mmseg_base_inheritance():
    """pspnet_r50-bin inherits `mmseg::_base_/...`: needs pkg_resources, i.e.
    setuptools < 81 (see requirements.txt)."""
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/models/pspnet_r50-bin.py'))
    assert cfg.model.decode_head.type == 'PSPHead'
    assert cfg.model.decode_head.out_channels == 1
    assert cfg.model.backbone.norm_cfg.type == 'BN'


@pytest.mark.parametrize('path', CONFIGS)
def test_amp_switches_every_optimizer_of_every_config(path, monkeypatch):
    """`tools/train.py --amp` makes every optimizer wrapper built for every
    shipped config (one, or ASSGAN's three) an AmpOptimWrapper. The CUDA
    check is faked: CI has no GPU."""
    import torch
    from mmengine.logging import MMLogger
    from mmengine.optim import AmpOptimWrapper, build_optim_wrapper

    from bus_mm.engine.fast_path import apply_fast_path
    from bus_mm.apis import load_config
    cfg = load_config(osp.join(REPO, path))
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '0')  # for MMLogger's rank
    apply_fast_path(cfg, amp=True)
    MMLogger.get_instance('bus_mm_amp_test')  # wrappers log through it
    model = MODELS.build(cfg.model)
    built = build_optim_wrapper(model, cfg.optim_wrapper)
    wrappers = (list(built.values()) if hasattr(built, 'optim_wrappers')
                else [built])
    assert all(isinstance(w, AmpOptimWrapper) for w in wrappers)
    if cfg.model.get('type') == 'ASSGAN':
        assert len(wrappers) == sum(
            cfg.model.get(k) is not None
            for k in ('generator_a', 'generator_b', 'discriminator'))


@pytest.mark.parametrize('path', CONFIGS)
def test_amp_on_cpu_makes_every_optimizer_autocast(path, monkeypatch):
    """On a CPU with bf16, `--amp` turns every optimizer wrapper config of
    every shipped config (ASSGAN's three included) into a bf16
    AutocastOptimWrapper, and `--no-amp` into plain fp32 OptimWrappers."""
    from bus_mm.engine.fast_path import _optim_wrappers, apply_fast_path
    from bus_mm.engine.optimizers import autocast_optim_wrapper as aow
    from bus_mm.apis import load_config
    monkeypatch.setattr(aow, 'cpu_supports_bf16', lambda: True)
    cfg = load_config(osp.join(REPO, path))
    apply_fast_path(cfg, amp=True)
    wrappers = _optim_wrappers(cfg)
    assert wrappers and all(w['type'] == 'AutocastOptimWrapper' and
                            w['dtype'] == 'bfloat16' for w in wrappers)
    # optimizers keep their own types
    opts = [cfg.optim_wrapper.get('optimizer')] + [
        v.get('optimizer') for v in cfg.optim_wrapper.values()
        if isinstance(v, dict)]
    assert all(o['type'] != 'AutocastOptimWrapper' for o in opts
               if isinstance(o, dict) and 'type' in o)
    assert cfg.val_cfg.fp16 and cfg.test_cfg.fp16
    apply_fast_path(cfg, amp=False)
    assert all(w['type'] == 'OptimWrapper' and 'dtype' not in w
               for w in _optim_wrappers(cfg))
    assert not cfg.val_cfg.fp16
