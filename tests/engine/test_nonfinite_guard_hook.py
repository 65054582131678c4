"""NonFiniteGuardHook: stop at the first NaN/Inf, name it, keep the last
good checkpoint."""
import math
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from bus_mm.engine.hooks.nonfinite_guard_hook import (NonFiniteGuardHook,
                                                      NonFiniteLossError)
from tests.tools.conftest import (REPO, data_root_options,  # noqa: F401
                                  phantom_root)


class TinyGAN(nn.Module):
    """Parameter names shaped like ASSGAN's."""

    def __init__(self):
        super().__init__()
        self.generator_a = nn.Linear(2, 2)
        self.generator_b = nn.Linear(2, 2)
        self.discriminator = nn.Linear(2, 1)


def _runner(model, it=41, last_ckpt='work/iter_40.pth'):
    hub = MessageHub.get_instance('nonfinite_test')
    hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(model=model, iter=it, message_hub=hub)


@pytest.mark.parametrize('key,network', [
    ('gen_a.loss_dice_bce', 'generator A'), ('loss_adv_b', 'generator B'),
    ('disc.loss_fake', 'discriminator D'), ('loss_semi_a', 'generator A')])
def test_names_iteration_term_network_and_checkpoint(key, network):
    outputs = {'loss': torch.tensor(float('nan')), 'gen_a.loss': 1.0,
               'score_real': 0.5, key: float('nan')}
    with pytest.raises(NonFiniteLossError) as e:
        NonFiniteGuardHook().after_train_iter(_runner(TinyGAN()), 41, None,
                                              outputs)
    msg = str(e.value)
    assert 'iteration 42' in msg and f"'{key}'" in msg and network in msg
    assert 'work/iter_40.pth' in msg and '--allow-nonfinite' in msg


def test_finite_iteration_passes_and_other_models_are_named_by_class():
    hook = NonFiniteGuardHook()
    hook.after_train_iter(_runner(nn.Linear(2, 2)), 0, None,
                          {'loss': torch.tensor(0.3), 'decode.loss_ce': 0.3,
                           'decode.acc_seg': float('nan')})  # not a loss
    with pytest.raises(NonFiniteLossError, match="'decode.loss_ce' of Linear "
                       'is inf'):
        hook.after_train_iter(_runner(nn.Linear(2, 2), last_ckpt=None), 0,
                              None, {'decode.loss_ce': math.inf})


def test_non_finite_parameter_is_found_even_with_finite_losses():
    model = TinyGAN()
    with torch.no_grad():
        model.discriminator.weight[0, 1] = float('inf')
    with pytest.raises(NonFiniteLossError,
                       match="'discriminator.weight' of discriminator D"):
        NonFiniteGuardHook().after_train_iter(_runner(model), 3, None,
                                              {'loss': 1.0})
    # param_interval=0 checks the losses only
    NonFiniteGuardHook(param_interval=0).after_train_iter(
        _runner(model), 3, None, {'loss': 1.0})


INJECTOR = """
import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class PoisonWeightsHook(Hook):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == 4:
            with torch.no_grad():
                next(runner.model.parameters()).fill_(float('nan'))
"""


def test_end_to_end_stops_and_keeps_the_last_good_checkpoint(
        tmp_path, phantom_root):  # noqa: F811
    """A U-Net whose first weight turns NaN before iteration 5 (after the
    checkpoint of iteration 4): tools/train.py stops with the message, exits
    non-zero and leaves iter_4.pth, finite, as the newest checkpoint."""
    (tmp_path / 'poison_weights.py').write_text(INJECTOR)
    cfg = tmp_path / 'poisoned.py'
    cfg.write_text(
        f"_base_ = [{osp.join(REPO, 'configs/demo/unet_phantom-demo.py')!r}]\n"
        "custom_imports = dict(imports=['bus_mm', 'poison_weights'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='PoisonWeightsHook')]\n")
    work = str(tmp_path / 'work')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(cfg), '--work-dir', work,
         '--cfg-options', 'train_cfg.max_iters=8',
         'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=2',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         *data_root_options(phantom_root)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'Non-finite training at iteration 5: loss term' in log, log[-3000:]
    assert 'of EncoderDecoder is nan' in log and 'iter_4.pth' in log
    assert not osp.exists(osp.join(work, 'iter_6.pth'))
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_4.pth')
    sd = torch.load(osp.join(work, 'iter_4.pth'), weights_only=True)
    assert all(torch.isfinite(v).all() for v in sd['state_dict'].values()
               if v.is_floating_point())
