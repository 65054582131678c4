"""The tools' fast path: mixed precision (``--amp``) and channels-last.

Configs may opt in with two top-level keys, which the tools read and the
command line overrides:

* ``amp = True`` (optionally ``amp_dtype = 'bfloat16' | 'float16'``): every
  optimizer wrapper autocasts (:class:`AutocastOptimWrapper` on a CPU, bf16;
  mmengine's ``AmpOptimWrapper`` on CUDA, fp16 unless ``amp_dtype`` says
  bf16), and validation/testing run under autocast too. When a config asks
  for it and the device cannot run it fast (a CPU without native bf16) the
  run falls back to fp32 with a warning; when ``--amp`` asks, it stops with
  the reason.
* ``channels_last = True``: :class:`ChannelsLastHook` converts the model to
  NHWC before the run.
"""
import logging
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from .optimizers.autocast_optim_wrapper import DTYPES, check_autocast
from .optimizers.multi_optim_constructor import _SHARED_ONLY

_PLAIN = 'OptimWrapper'
_CAST_KEYS = ('dtype', 'on_unsupported', 'loss_scale')


def add_fast_path_args(parser) -> None:
    """Add ``--amp/--no-amp``, ``--amp-dtype`` and
    ``--channels-last/--no-channels-last`` to an argparse parser."""
    import argparse
    parser.add_argument(
        '--amp', action=argparse.BooleanOptionalAction, default=None,
        help='mixed precision: bf16 autocast on a CPU with AVX-512 BF16/AMX, '
        "AMP on CUDA (default: the config's `amp` key, else off)")
    parser.add_argument(
        '--amp-dtype', choices=DTYPES, default=None,
        help='autocast dtype (CUDA: float16 by default; CPU: bfloat16 only)')
    parser.add_argument(
        '--channels-last', action=argparse.BooleanOptionalAction,
        default=None, help="NHWC weights and activations (default: the "
        "config's `channels_last` key, else off)")


def fast_path_argv(args) -> list:
    """The fast-path flags of parsed ``args`` back as command-line words."""
    argv = []
    if args.amp is not None:
        argv.append('--amp' if args.amp else '--no-amp')
    if args.amp_dtype is not None:
        argv += ['--amp-dtype', args.amp_dtype]
    if args.channels_last is not None:
        argv.append('--channels-last' if args.channels_last else
                    '--no-channels-last')
    return argv


def _optim_wrappers(cfg: Config) -> list:
    """The optimizer-wrapper dicts of ``cfg`` whose ``type`` matters: the
    single one, or (``MultiOptimWrapperConstructor``) the shared defaults
    and each sub-network entry that names its own type."""
    ow = cfg.get('optim_wrapper')
    if ow is None:
        return []
    if 'constructor' not in ow:
        return [ow]
    subs = [v for k, v in ow.items() if k not in _SHARED_ONLY + (
        'constructor', ) and isinstance(v, dict) and 'type' in v]
    return subs if 'type' not in ow else [ow] + subs


def _set_wrappers(cfg: Config, wrapper: Optional[dict]) -> None:
    """Make every optimizer wrapper plain (``wrapper=None``) or ``wrapper``."""
    for w in _optim_wrappers(cfg):
        for key in _CAST_KEYS:
            w.pop(key, None)
        w['type'] = _PLAIN if wrapper is None else wrapper['type']
        if wrapper is not None:
            w.update({k: v for k, v in wrapper.items() if k != 'type'})


def apply_fast_path(cfg: Config,
                    amp: Optional[bool] = None,
                    amp_dtype: Optional[str] = None,
                    channels_last: Optional[bool] = None,
                    train: bool = True) -> dict:
    """Resolve the fast-path switches of ``cfg`` and the command line.

    Args:
        cfg (Config): The loaded config; changed in place.
        amp (bool, optional): ``--amp`` (True), ``--no-amp`` (False) or not
            given (None: the config's ``amp`` key decides).
        amp_dtype (str, optional): ``--amp-dtype``.
        channels_last (bool, optional): ``--channels-last`` /
            ``--no-channels-last`` or None (the config's key decides).
        train (bool): Whether optimizer wrappers matter (tools/train.py).

    Returns:
        dict: What was applied: ``amp`` (the dtype name or None) and
        ``channels_last`` (bool); also written back to the config keys.

    Raises:
        SystemExit: ``--amp`` was asked for on a device that cannot run it
            fast (the message says why and what to do).
    """
    explicit = amp is True
    want = bool(cfg.get('amp', False)) if amp is None else amp
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    dtype = amp_dtype or cfg.get('amp_dtype') or (
        'float16' if device == 'cuda' else 'bfloat16')
    if want:
        reason = check_autocast(dtype, device)
        if reason is not None:
            if explicit or dtype not in DTYPES:
                raise SystemExit(f'--amp: {reason}.')
            print_log(f'amp: {reason}; running in fp32.', logger='current',
                      level=logging.WARNING)
            want = False
    if train:
        if not want:
            _set_wrappers(cfg, None)
        elif device == 'cuda':
            _set_wrappers(cfg, dict(type='AmpOptimWrapper',
                                    loss_scale='dynamic', dtype=dtype))
        else:
            _set_wrappers(cfg, dict(type='AutocastOptimWrapper', dtype=dtype))
    for loop in ('val_cfg', 'test_cfg'):
        if cfg.get(loop) is not None:
            cfg[loop]['fp16'] = want
    cl = bool(cfg.get('channels_last', False)) if channels_last is None \
        else channels_last
    hooks = [h for h in (cfg.get('custom_hooks') or [])
             if h.get('type') != 'ChannelsLastHook']
    if cl:
        hooks.append(dict(type='ChannelsLastHook'))
    cfg.custom_hooks = hooks
    cfg.amp, cfg.amp_dtype, cfg.channels_last = want, dtype, cl
    if want or cl:
        print_log(f'fast path: amp={dtype if want else "off"} on {device}, '
                  f'channels_last={cl}', logger='current')
    return dict(amp=dtype if want else None, channels_last=cl)
