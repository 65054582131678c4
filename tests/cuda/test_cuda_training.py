"""CUDA checks (marked ``cuda``; skipped without a GPU). ``scripts/gpu_check.sh``
runs them with ``pytest -m cuda``."""
import os.path as osp
import random

import numpy as np
import pytest
import torch

from bus_mm.engine.hooks.nonfinite_guard_hook import (NonFiniteGuardHook,
                                                      NonFiniteLossError)
from bus_mm.engine.hooks.random_state_hook import RandomStateHook
from tests.tools.conftest import data_root_options, phantom_root, run_tool  # noqa: F401

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason='needs a CUDA GPU (torch.cuda.is_available())')
]

FAST = ['train_cfg.max_iters=4', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1']


def test_random_state_hook_reseeds_cuda():
    from types import SimpleNamespace
    hook = RandomStateHook()
    runner = SimpleNamespace(seed=0, iter=3)
    hook.before_train_iter(runner, 3)
    a = torch.rand(4, device='cuda')
    torch.rand(100, device='cuda')
    random.random(), np.random.rand()
    hook.before_train_iter(runner, 3)
    assert torch.equal(a, torch.rand(4, device='cuda'))


def test_nonfinite_guard_on_cuda_parameters():
    from types import SimpleNamespace
    from mmengine.logging import MessageHub
    model = torch.nn.Linear(4, 4).cuda()
    with torch.no_grad():
        model.bias[2] = float('nan')
    runner = SimpleNamespace(model=model, iter=0,
                             message_hub=MessageHub.get_instance('cuda_nf'))
    with pytest.raises(NonFiniteLossError, match="'bias' of Linear"):
        NonFiniteGuardHook().after_train_iter(runner, 0, None, {'loss': 1.0})


@pytest.mark.parametrize('config', ['configs/demo/unet_phantom-demo.py',
                                    'configs/assgan/assgan_phantom-demo.py'])
def test_amp_train_and_resume_on_cuda(config, phantom_root, tmp_path):  # noqa: F811
    """--amp trains on the GPU, and --resume continues it (loss scaler and
    all) to the same iteration count."""
    work = str(tmp_path / 'work')
    opts = FAST + data_root_options(phantom_root)
    if 'assgan' in config:
        opts += ['custom_hooks.1.semi_start=2']
    run_tool('tools/train.py', config, '--amp', '--work-dir', work,
             '--cfg-options', *opts)
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), weights_only=True)
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
    opts = [o for o in opts if not o.startswith('train_cfg.max_iters')]
    run_tool('tools/train.py', config, '--amp', '--resume', '--work-dir',
             work, '--cfg-options', *opts, 'train_cfg.max_iters=6')
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
