"""prepare_run: what tools/train.py does to every config before training."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from bus_mm.engine.resumable_run import prepare_run
from tests.tools.conftest import REPO


def _cfg(name='configs/assgan/assgan_phantom-demo.py'):
    cfg = Config.fromfile(osp.join(REPO, name))
    cfg.work_dir = '/nonexistent/work'
    return cfg


def test_every_schedule_has_the_reliability_hooks():
    for name in ('configs/assgan/assgan_phantom-demo.py',
                 'configs/demo/unet_phantom-demo.py',
                 'configs/taichinet/taichinet_busi-224.py'):
        hooks = _cfg(name).default_hooks
        assert hooks.nonfinite_guard.type == 'NonFiniteGuardHook', name
        assert hooks.random_state.type == 'RandomStateHook', name
        assert hooks.data_check.type == 'TrainDataCheckHook', name


def test_wraps_the_train_loader_and_honours_allow_nonfinite():
    cfg = _cfg()
    inner_sampler = cfg.train_dataloader.sampler.copy()
    del cfg.default_hooks['random_state']  # added back when missing
    prepare_run(cfg, allow_nonfinite=True)
    assert 'nonfinite_guard' not in cfg.default_hooks  # mmengine: no None
    assert cfg.default_hooks.random_state.type == 'RandomStateHook'
    loader = cfg.train_dataloader
    assert loader.sampler.type == 'SampleSeededSampler'
    assert loader.sampler.sampler == inner_sampler
    assert loader.dataset.type == 'SampleSeededDataset'
    assert loader.dataset.dataset.type == 'ConcatDataset'
    prepare_run(cfg)  # wraps once
    assert loader.sampler.sampler.type == 'LabeledUnlabeledSampler'
    cfg.default_hooks.data_check = None  # --cfg-options ...=None: off
    prepare_run(cfg)
    assert 'data_check' not in cfg.default_hooks
    assert cfg.val_dataloader.sampler.type == 'DefaultSampler'


def test_resume_picks_a_readable_checkpoint_and_its_seed(tmp_path):
    cfg = _cfg()
    cfg.work_dir = str(tmp_path)
    cfg.randomness = dict(seed=None)
    torch.save(dict(meta=dict(seed=1234, iter=3)), str(tmp_path / 'iter_3.pth'))
    (tmp_path / 'iter_6.pth').write_bytes(b'PK\x03\x04 cut short')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_6.pth'))
    prepare_run(cfg, resume=True)
    assert cfg.load_from == str(tmp_path / 'iter_3.pth')
    assert cfg.randomness.seed == 1234


def test_resume_from_a_broken_load_from_names_it(tmp_path):
    cfg = _cfg()
    cfg.load_from = str(tmp_path / 'gone.pth')
    with pytest.raises(SystemExit, match='gone.pth'):
        prepare_run(cfg, resume=True)
