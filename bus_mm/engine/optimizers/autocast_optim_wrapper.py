"""Mixed precision for every device: bf16 autocast on CPUs, AMP on CUDA.

mmengine's ``AmpOptimWrapper`` asserts a GPU (its loss scaler is CUDA's
``GradScaler``). bfloat16 has float32's exponent range, so it needs no loss
scaling, and CPUs with AVX-512 BF16 or AMX run bf16 matrix work about twice
as fast as fp32. :class:`AutocastOptimWrapper` runs the forward under
``torch.autocast(device, dtype)``; with float16 on CUDA it keeps a
``GradScaler`` (as ``AmpOptimWrapper``), with bfloat16 it steps plainly.
"""
import logging
from contextlib import contextmanager
from typing import Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

DTYPES = ('bfloat16', 'float16')
ON_UNSUPPORTED = ('error', 'fp32')


def cpu_supports_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX).

    Without them PyTorch emulates bf16 through fp32 conversions, which is
    slower than fp32, so bus_mm refuses (or falls back) instead.
    """
    return bool(torch.cpu._is_avx512_bf16_supported()
                or torch.cpu._is_amx_tile_supported())


def _device_type() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def check_autocast(dtype: str, device_type: str) -> Optional[str]:
    """Why ``dtype`` autocast cannot run fast on ``device_type`` (None if it
    can)."""
    if dtype not in DTYPES:
        return f'dtype must be one of {DTYPES}, got {dtype!r}'
    if device_type == 'cpu':
        if dtype == 'float16':
            return ('float16 autocast is not supported for training on a CPU; '
                    'use bfloat16 (--amp-dtype bfloat16)')
        if not cpu_supports_bf16():
            return ('this CPU has no native bfloat16 (AVX-512 BF16 or AMX), '
                    'so bf16 autocast would run slower than fp32; drop --amp '
                    'to train in fp32')
    elif device_type == 'cuda' and dtype == 'bfloat16' and \
            not torch.cuda.is_bf16_supported():
        return ('this GPU does not support bfloat16; use --amp-dtype float16')
    return None


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """Optimizer wrapper that runs forwards under ``torch.autocast``.

    Works on CPUs (bf16) and CUDA (bf16, or fp16 with dynamic loss scaling),
    for single-network models and for each entry of an ``OptimWrapperDict``
    (ASSGAN's three networks).

    Args:
        dtype (str): ``'bfloat16'`` (default) or ``'float16'`` (CUDA only).
        on_unsupported (str): What to do when the device cannot run ``dtype``
            fast (a CPU without native bf16, a GPU without bf16): ``'error'``
            raises with the reason (what ``--amp`` asks for); ``'fp32'``
            warns once and trains in fp32 (what configs that default to the
            fast path use). Defaults to ``'error'``.
        **kwargs: :class:`mmengine.optim.OptimWrapper` arguments.
    """

    def __init__(self,
                 dtype: str = 'bfloat16',
                 on_unsupported: str = 'error',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if on_unsupported not in ON_UNSUPPORTED:
            raise ValueError('AutocastOptimWrapper: on_unsupported must be '
                             f'one of {ON_UNSUPPORTED}, got '
                             f'{on_unsupported!r}.')
        self.device_type = _device_type()
        reason = check_autocast(dtype, self.device_type)
        self.enabled = reason is None
        if reason is not None:
            if on_unsupported == 'error' or dtype not in DTYPES:
                raise RuntimeError(f'AutocastOptimWrapper: {reason}.')
            print_log(f'AutocastOptimWrapper: {reason}; training in fp32.',
                      logger='current', level=logging.WARNING)
        self.cast_dtype = getattr(torch, dtype)
        self.loss_scaler = None
        if self.enabled and self.cast_dtype == torch.float16:
            self.loss_scaler = torch.amp.GradScaler('cuda')

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    def state_dict(self) -> dict:
        state = self.optimizer.state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler = state_dict.pop('loss_scaler', None)
        if scaler is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler)
        self.optimizer.load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type=self.device_type, dtype=self.cast_dtype,
                enabled=self.enabled):
            yield
