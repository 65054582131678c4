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


def _scalars(work):
    """Every training log record of the runs in ``work``."""
    import glob
    import json
    records = []
    for path in sorted(glob.glob(osp.join(work, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


@pytest.mark.parametrize('config', ['configs/demo/unet_phantom-demo.py',
                                    'configs/assgan/assgan_phantom-demo.py'])
def test_amp_train_and_resume_on_cuda(config, phantom_root, tmp_path):  # noqa: F811
    """--amp trains on the GPU, and --resume continues it (loss scaler and
    all) to the same iteration count. ASSGAN's semi-supervised phase (the
    strong view, D on image + thresholded mask, the agreement gate) runs
    under fp16 autocast with finite losses."""
    work = str(tmp_path / 'work')
    if 'assgan' in config:
        # --data-root also reaches ASSGAN's ConcatDataset of labeled and
        # unlabeled parts (a dataset.data_root option does not)
        root = ['--data-root', phantom_root]
        opts = FAST + ['custom_hooks.1.semi_start=2']
    else:
        root = []
        opts = FAST + data_root_options(phantom_root)
    run_tool('tools/train.py', config, '--amp', *root, '--work-dir', work,
             '--cfg-options', *opts)
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), weights_only=True)
    # (NaN marks an empty slot of ASSGAN's gate score bank)
    assert all(torch.isfinite(v).all() for k, v in ckpt['state_dict'].items()
               if v.is_floating_point() and not k.startswith('gate.'))
    assert not any(torch.isinf(v).any() for v in ckpt['state_dict'].values()
                   if v.is_floating_point())
    if 'assgan' in config:
        semi = [r for r in _scalars(work) if 'loss_semi_a' in r]
        assert len(semi) == 2  # iterations 2 and 3
        for r in semi:
            for key in ('loss', 'loss_semi_a', 'loss_semi_b', 'pair_iou',
                        'loss_adv_a', 'disc.loss_fake'):
                assert np.isfinite(r[key]), (key, r)
    opts = [o for o in opts if not o.startswith('train_cfg.max_iters')]
    run_tool('tools/train.py', config, '--amp', '--resume', *root,
             '--work-dir', work, '--cfg-options', *opts,
             'train_cfg.max_iters=6')
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
