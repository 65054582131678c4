"""Shared test settings: one torch thread (tiny convs run far slower when two
threads fight for two cores), and the busi-dev location for real-data tests."""
import os.path as osp

import pytest
import torch

torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BUSI_DEV = osp.join(REPO, '..', 'shared', 'data', 'busi-dev')


@pytest.fixture(autouse=True, scope='session')
def _mmseg_scope():
    from mmengine.registry import init_default_scope
    import bus_mm  # noqa: F401  registers everything
    init_default_scope('mmseg')


@pytest.fixture
def busi_dev():
    """Path of the real busi-dev images; skips when ../shared is absent."""
    if not osp.isdir(BUSI_DEV):
        pytest.skip('../shared/data/busi-dev is absent (only on dev machines)')
    return BUSI_DEV
