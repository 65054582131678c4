"""config_walk: finding and retargeting the loader datasets of a config."""
import os.path as osp

import pytest
from mmengine.config import Config

from bus_mm.engine.config_walk import (curriculum_keys, loader_datasets,
                                       set_data_root, split_datasets)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def cfg_of(name):
    return Config.fromfile(osp.join(REPO, 'configs', name))


def test_concat_parts_of_assgan_are_found_and_retargeted():
    cfg = cfg_of('assgan/assgan_busi-cpu128_15pct.py')
    keys = [k for k, _ in split_datasets(cfg)]
    assert keys == ['train_dataloader.dataset.datasets.0',
                    'train_dataloader.dataset.datasets.1',
                    'val_dataloader.dataset', 'test_dataloader.dataset']
    assert set_data_root(cfg, '/data/x') == 4
    assert cfg.train_dataloader.dataset.datasets[1].data_root == '/data/x'
    assert cfg.test_dataloader.dataset.data_root == '/data/x'
    # the dotted keys address the same dicts through --cfg-options
    cfg.merge_from_dict({keys[1] + '.split': 'f.json'})
    assert cfg.train_dataloader.dataset.datasets[1].split == 'f.json'
    assert cfg.train_dataloader.dataset.datasets[0].split != 'f.json'


def test_curriculum_key_points_at_load_curriculum_masks():
    cfg = cfg_of('taichinet/taichinet_busi-cpu128.py')
    keys = curriculum_keys(cfg)
    assert keys == ['train_dataloader.dataset.pipeline.2.curriculum_dir']
    cfg.merge_from_dict({keys[0]: '/tmp/cur'})
    step = cfg.train_dataloader.dataset.pipeline[2]
    assert step.type == 'LoadCurriculumMasks' and step.curriculum_dir == '/tmp/cur'
    assert curriculum_keys(cfg_of('taichinet/unet_busi-cpu128.py')) == []


def test_config_without_datasets_is_an_error():
    cfg = Config(dict(model=dict(type='X')))
    assert loader_datasets(cfg) == []
    with pytest.raises(ValueError, match='no train/val/test dataset'):
        set_data_root(cfg, '/d')
