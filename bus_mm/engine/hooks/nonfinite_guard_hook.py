"""Stop training at the first NaN/Inf loss or parameter."""
import math
import re
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

# Loss-key and parameter-name patterns of the networks of ASSGAN; any other
# model is named by its class.
ASSGAN_NETWORKS = {
    r'^gen_a\.|_a$|^generator_a\.': 'generator A',
    r'^gen_b\.|_b$|^generator_b\.': 'generator B',
    r'^disc\.|^discriminator\.': 'discriminator D',
}


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN/Inf loss or parameter."""


def _value(v) -> Optional[float]:
    if isinstance(v, torch.Tensor):
        if v.numel() != 1:
            return None
        v = v.detach().float().item()
    if isinstance(v, (int, float)):
        return float(v)
    return None


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Stop training at the first non-finite loss term or parameter.

    After every training iteration it checks each loss term the model logged
    (keys containing ``loss``) and, every ``param_interval`` iterations, all
    parameters. At the first NaN/Inf it raises :class:`NonFiniteLossError`
    naming the iteration (1-based, as in the log), the loss term or parameter,
    the network (ASSGAN: generator A, generator B or discriminator D) and the
    last checkpoint. It runs before the ``CheckpointHook`` (priority
    ``VERY_HIGH``), so the broken model is never saved and the last good
    checkpoint stays the newest one. Under ``--amp`` the loss scaler handles
    inf gradients by itself; a non-finite *loss value* still stops the run.

    It is in every bus_mm schedule's ``default_hooks`` (``nonfinite_guard``);
    ``tools/train.py --allow-nonfinite`` or
    ``--cfg-options default_hooks.nonfinite_guard=None`` turns it off.

    Args:
        param_interval (int): Check the parameters every this many
            iterations; 0 checks only losses. Defaults to 1.
        networks (dict, optional): Regex (matched against loss keys and
            parameter names) -> network name. Defaults to ASSGAN's networks.
    """

    priority = 'VERY_HIGH'

    def __init__(self, param_interval: int = 1,
                 networks: Optional[Dict[str, str]] = None) -> None:
        if param_interval < 0:
            raise ValueError('NonFiniteGuardHook: param_interval must be >= 0, '
                             f'got {param_interval}')
        self.param_interval = param_interval
        self.networks = dict(ASSGAN_NETWORKS if networks is None else networks)

    def _network(self, name: str, model) -> str:
        for pattern, net in self.networks.items():
            if re.search(pattern, name):
                return net
        return type(model).__name__

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _stop(self, runner, what: str) -> None:
        last = runner.message_hub.get_info('last_ckpt')
        keep = (f'The last good checkpoint is {last}; nothing was saved after '
                'the failure.' if last else
                'No checkpoint had been saved yet.')
        msg = (f'Non-finite training at iteration {runner.iter + 1}: {what}. '
               f'Training stopped. {keep} Lower the learning rate or check the '
               'data and resume from that checkpoint; to train on regardless, '
               'pass --allow-nonfinite to tools/train.py.')
        print_log(msg, logger='current', level=40)
        raise NonFiniteLossError(msg)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Check this iteration's losses and the updated parameters."""
        model = self._model(runner)
        if outputs:
            # Name a specific term before the total (which then is NaN too).
            keys = [k for k in outputs if 'loss' in k and k != 'loss']
            keys += [k for k in outputs if k == 'loss']
            for key in keys:
                v = _value(outputs[key])
                if v is not None and not math.isfinite(v):
                    self._stop(runner, f"loss term '{key}' of "
                               f'{self._network(key, model)} is {v}')
        if self.param_interval and (runner.iter + 1) % self.param_interval == 0:
            params = [p for p in model.parameters()]
            if not params:
                return
            norms = torch.stack([
                torch.linalg.vector_norm(p.detach(), ord=float('inf')).float()
                for p in params])
            if bool(torch.isfinite(norms).all()):
                return
            for name, p in model.named_parameters():
                if not bool(torch.isfinite(p.detach()).all()):
                    self._stop(runner, f"parameter '{name}' of "
                               f'{self._network(name, model)} is not finite '
                               'after the optimizer step')
