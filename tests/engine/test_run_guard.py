"""Tests of the work-dir guard (bus_mm/engine/run_guard.py)."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from bus_mm.engine.run_guard import STAMP, guard_work_dir


def cfg(work_dir, lr=0.1):
    c = Config(dict(model=dict(type='X'), lr=lr))
    c.work_dir = str(work_dir)
    return c


def stamp_of(work_dir):
    with open(osp.join(work_dir, STAMP)) as f:
        return json.load(f)['fingerprint']


def test_a_different_config_with_checkpoints_is_refused(tmp_path):
    guard_work_dir(cfg(tmp_path))
    (tmp_path / 'iter_100.pth').write_bytes(b'weights')
    with pytest.raises(FileExistsError, match='different config'):
        guard_work_dir(cfg(tmp_path, lr=0.5))
    assert (tmp_path / 'iter_100.pth').read_bytes() == b'weights'
    guard_work_dir(cfg(tmp_path, lr=0.5), resume=True)   # a longer schedule


def test_a_different_config_without_checkpoints_takes_the_dir_over(tmp_path):
    """A run that stopped before its first checkpoint (e.g. a bad option)
    leaves only its stamp: rerunning with the fixed option is allowed."""
    guard_work_dir(cfg(tmp_path))
    first = stamp_of(tmp_path)
    guard_work_dir(cfg(tmp_path, lr=0.5))
    assert stamp_of(tmp_path) != first


def test_the_same_config_with_checkpoints_needs_resume_or_overwrite(
        tmp_path):
    guard_work_dir(cfg(tmp_path))
    (tmp_path / 'last_checkpoint').write_text('iter_4.pth')
    with pytest.raises(FileExistsError, match='--resume'):
        guard_work_dir(cfg(tmp_path))
    guard_work_dir(cfg(tmp_path), overwrite=True)
