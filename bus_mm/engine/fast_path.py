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
* ``amp = 'auto'`` (``--amp auto``): bf16 autocast where the CPU computes
  bf16 natively (AVX-512 BF16 or AMX, :func:`check_autocast`), AMP on CUDA,
  fp32 elsewhere, never an error; one log line says which ran and why.
* ``channels_last = True``: :class:`ChannelsLastHook` converts the model to
  NHWC before the run. ``channels_last = 'auto'`` (``--channels-last auto``)
  takes the layout from :data:`LAYOUT` for the run's phase (training for
  ``tools/train.py``, inference for ``tools/test.py``, ``tools/infer.py``
  and :func:`bus_mm.apis.init_model`) and the precision that ``amp``
  resolved to.

``--amp``/``--channels-last`` alone, ``--no-amp``/``--no-channels-last`` and
``True``/``False`` keys force the switch, as before.
"""
import argparse
import logging
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from .optimizers.autocast_optim_wrapper import DTYPES, check_autocast
from .optimizers.multi_optim_constructor import _SHARED_ONLY

_PLAIN = 'OptimWrapper'
_CAST_KEYS = ('dtype', 'on_unsupported', 'loss_scale')

# The memory layout ``channels_last = 'auto'`` picks, by phase ('train':
# tools/train.py, validation inside a training run included; 'infer':
# tools/test.py, tools/infer.py, init_model), by the precision the run
# computes in ('bf16': bf16 autocast, 'fp32'), by the model family ('unet':
# TaiChiNet, U-Net, U-Net++; 'resnet': everything else, e.g. ASSGAN's and
# UniMatch's DeepLabV3+ / PSPNet) and, for bf16, by the CPU's bf16 unit
# ('amx', or 'avx512_bf16' alone). True: channels-last (NHWC).
# Speed-ups over fp32 NCHW (the configs' batches, 128x128 images):
#   Intel Xeon with AVX-512 BF16 and AMX, 2 threads:
#     model                 train bf16  +cl    infer bf16  +cl    train fp32+cl
#     ASSGAN demo (w. 16)   1.24x       1.32x  1.32x       1.75x  1.00x
#     TaiChiNet cpu128      1.83x       1.45x  1.37x       2.28x  1.04x
#     U-Net cpu128          1.68x       1.30x  1.53x       2.65x  1.01x
#   AMD EPYC Zen 4 (AVX-512 BF16, no AMX), 1 thread, 2026-12-03:
#     ASSGAN demo (w. 16)   1.42x       1.27x  1.25x       1.27x  1.10x
#     TaiChiNet cpu128      1.31x       1.74x  1.34x       2.00x  1.16x
#     U-Net cpu128          1.31x       1.61x  1.17x       1.80x  1.49x
#   AMD EPYC Zen 3 (no native bf16: fp32 only), 1 thread, 2026-11-30:
#     model                 train fp32+cl      infer fp32+cl
#     ASSGAN demo           1.12x              1.26x
#     TaiChiNet cpu128      1.41x              1.51x
#     U-Net cpu128          1.34x              1.84x
# So NHWC pays for fp32 (neutral for fp32 training on the Xeon) and for bf16
# inference (level for the ASSGAN demo on Zen 4: 1.27x against 1.25x); for
# bf16 training the two families and the two bf16 units disagree: with AMX
# NHWC costs the U-Net family (TaiChiNet 1.83x -> 1.45x) and pays for
# ASSGAN, without AMX the other way round (TaiChiNet 1.31x -> 1.74x, ASSGAN
# 1.42x -> 1.27x). Regenerate with
#   python tools/analysis_tools/bench.py --sections fastpath --iters 5 \
#       --warmup 2 --threads 2
# (docs/advanced_guides/fast_path.md keeps the tables). Not measured on a
# GPU: there 'auto' keeps NCHW (force NHWC with --channels-last).
FAMILIES = ('unet', 'resnet')
BF16_UNITS = ('amx', 'avx512_bf16')
LAYOUT = {
    ('train', 'bf16', 'unet', 'amx'): False,
    ('train', 'bf16', 'unet', 'avx512_bf16'): True,
    ('train', 'bf16', 'resnet', 'amx'): True,
    ('train', 'bf16', 'resnet', 'avx512_bf16'): False,
    **{('infer', 'bf16', family, unit): True
       for family in FAMILIES for unit in BF16_UNITS},
    **{(phase, 'fp32', family, None): True
       for phase in ('train', 'infer') for family in FAMILIES},
}
# model or backbone types of the 'unet' family
UNET_TYPES = ('TaiChiNet', 'UNet', 'UNetPlusPlus')
PHASES = ('train', 'infer')
AUTO = 'auto'
# the words --amp and --channels-last take after them
_WORDS = {'auto': AUTO, 'on': True, 'off': False}

Switch = Union[bool, str, None]


def _flag_value(flag: str):
    """argparse ``type`` of ``flag``: 'auto', 'on' or 'off'."""
    def parse(word: str):
        value = _WORDS.get(word.strip().lower())
        if value is None:
            raise argparse.ArgumentTypeError(
                f'{word!r} is not one of auto, on, off ({flag} alone means '
                f'on; a positional argument right after a bare {flag} is '
                f'read as its value: put {flag} after it, or write '
                f'{flag}=on)')
        return value
    return parse


def add_fast_path_args(parser) -> None:
    """Add ``--amp [auto|on|off]/--no-amp``, ``--amp-dtype`` and
    ``--channels-last [auto|on|off]/--no-channels-last`` to an argparse
    parser. ``--amp`` alone is ``True``, ``--no-amp`` ``False``, ``--amp
    auto`` ``'auto'`` (likewise for ``--channels-last``); not given: None."""
    parser.add_argument(
        '--amp', nargs='?', const=True, default=None,
        type=_flag_value('--amp'), metavar='auto|on|off',
        help='mixed precision: bf16 autocast on a CPU with AVX-512 BF16/AMX, '
        'AMP on CUDA; `--amp auto` uses it where the device has it and fp32 '
        "elsewhere (default: the config's `amp` key, else off)")
    parser.add_argument('--no-amp', dest='amp', action='store_const',
                        const=False, help='fp32, whatever the config says')
    parser.add_argument(
        '--amp-dtype', choices=DTYPES, default=None,
        help='autocast dtype (CUDA: float16 by default; CPU: bfloat16 only)')
    parser.add_argument(
        '--channels-last', nargs='?', const=True, default=None,
        type=_flag_value('--channels-last'), metavar='auto|on|off',
        help='NHWC weights and activations; `auto` picks the layout by phase, '
        'precision, model family and bf16 unit '
        "(bus_mm.engine.fast_path.LAYOUT) (default: the "
        "config's `channels_last` key, else off)")
    parser.add_argument('--no-channels-last', dest='channels_last',
                        action='store_const', const=False,
                        help='NCHW, whatever the config says')


def fast_path_argv(args) -> list:
    """The fast-path flags of parsed ``args`` back as command-line words
    (``'auto'`` as one word, ``--amp=auto``, so that it cannot be read
    apart from its flag)."""
    argv = []
    for flag, value in (('--amp', args.amp),
                        ('--channels-last', args.channels_last)):
        if value == AUTO:
            argv.append(f'{flag}={AUTO}')
        elif value is not None:
            argv.append(flag if value else '--no-' + flag[2:])
        if flag == '--amp' and args.amp_dtype is not None:
            argv += ['--amp-dtype', args.amp_dtype]
    return argv


def _switch(value: Switch, name: str) -> Union[bool, str]:
    """``value`` of the config key or argument ``name`` as True, False or
    'auto' (None: False); anything else raises naming ``name``."""
    if value is None:
        return False
    if isinstance(value, bool) or value == AUTO:
        return value
    raise ValueError(f"{name} must be True, False or 'auto', got {value!r}")


def _cpu_bf16_units() -> list:
    """The native-bf16 units of this CPU, by name."""
    return [name for name, has in (
        ('AVX-512 BF16', torch.cpu._is_avx512_bf16_supported),
        ('AMX', torch.cpu._is_amx_tile_supported)) if has()]


def model_family(cfg: Config) -> str:
    """The :data:`LAYOUT` family of ``cfg``'s model: 'unet' when the model
    or its backbone is a TaiChiNet / U-Net / U-Net++, else 'resnet'."""
    model = cfg.get('model') or {}
    backbone = model.get('backbone') or {}
    kinds = {model.get('type'), backbone.get('type')}
    return 'unet' if kinds & set(UNET_TYPES) else 'resnet'


def bf16_unit() -> str:
    """This CPU's native bf16 unit as a :data:`LAYOUT` key."""
    return 'amx' if torch.cpu._is_amx_tile_supported() else 'avx512_bf16'


def choose_layout(phase: str, precision: str, device: str = 'cpu',
                  family: str = 'unet', unit: Optional[str] = None) -> bool:
    """What ``channels_last = 'auto'`` resolves to: :data:`LAYOUT` for
    ``phase`` ('train' or 'infer'), ``precision`` ('bf16' or 'fp32'), the
    model ``family`` and, for bf16, the CPU's bf16 ``unit`` (None: this
    CPU's); NCHW (False) on CUDA, where it was not measured."""
    if phase not in PHASES:
        raise ValueError(f'phase must be one of {PHASES}, got {phase!r}')
    if family not in FAMILIES:
        raise ValueError(f'family must be one of {FAMILIES}, got '
                         f'{family!r}')
    if device != 'cpu':
        return False
    if precision != 'bf16':
        unit = None
    elif unit is None:
        unit = bf16_unit()
    return LAYOUT[(phase, precision, family, unit)]


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


def _auto_amp(dtype: str, device: str, reason: Optional[str]) -> str:
    """What ``amp = 'auto'`` ran and why, for the log line."""
    short = dict(bfloat16='bf16', float16='fp16')[dtype]
    if device == 'cuda':
        if reason is None:
            return f'{short} AMP (CUDA)'
        return f'fp32 ({reason})'
    if reason is None:
        units = _cpu_bf16_units()
        return 'bf16 autocast (this CPU has native bf16' + (
            f': {", ".join(units)})' if units else ')')
    if dtype == 'bfloat16':
        return 'fp32 (this CPU has no native bf16: AVX-512 BF16 / AMX missing)'
    return f'fp32 ({reason})'


def apply_fast_path(cfg: Config,
                    amp: Switch = None,
                    amp_dtype: Optional[str] = None,
                    channels_last: Switch = None,
                    train: bool = True) -> dict:
    """Resolve the fast-path switches of ``cfg`` and the command line.

    Args:
        cfg (Config): The loaded config; changed in place.
        amp (bool | str, optional): ``--amp`` (True), ``--no-amp`` (False),
            ``--amp auto`` ('auto') or not given (None: the config's ``amp``
            key decides: True, False or 'auto').
        amp_dtype (str, optional): ``--amp-dtype``.
        channels_last (bool | str, optional): ``--channels-last`` (True),
            ``--no-channels-last`` (False), ``--channels-last auto``
            ('auto') or None (the config's ``channels_last`` key decides).
            'auto' takes :data:`LAYOUT` for the phase, the precision
            ``amp`` resolved to, the model family and the bf16 unit.
        train (bool): A training run (tools/train.py: optimizer wrappers
            matter, the layout is LAYOUT's 'train' entry) or an inference
            one (tools/test.py, tools/infer.py: the 'infer' entry).

    Returns:
        dict: What was applied: ``amp`` (the dtype name or None) and
        ``channels_last`` (bool); also written back to the config keys.

    Raises:
        ValueError: ``amp`` or ``channels_last`` (argument or config key)
            is not True, False or 'auto'.
        SystemExit: ``--amp`` was asked for on a device that cannot run it
            fast (the message says why and what to do).
    """
    if amp is None:
        asked = _switch(cfg.get('amp'), 'config key `amp`')
    else:
        asked = _switch(amp, '`amp` (--amp)')
    if channels_last is None:
        cl_asked = _switch(cfg.get('channels_last'),
                           'config key `channels_last`')
    else:
        cl_asked = _switch(channels_last, '`channels_last` (--channels-last)')
    explicit = amp is True
    want = asked is not False
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    dtype = amp_dtype or cfg.get('amp_dtype') or (
        'float16' if device == 'cuda' else 'bfloat16')
    ran = None
    if want:
        reason = check_autocast(dtype, device)
        if reason is not None and dtype not in DTYPES:
            raise SystemExit(f'--amp: {reason}.')
        if asked == AUTO:
            ran = _auto_amp(dtype, device, reason)
            want = reason is None
        elif reason is not None:
            if explicit:
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
    phase = 'train' if train else 'infer'
    precision = ({'bfloat16': 'bf16', 'float16': 'fp16'}[dtype] if want
                 else 'fp32')
    cl = cl_asked
    family = model_family(cfg)
    why = f'{phase}, {precision}, {family}' + (
        f', {bf16_unit()}' if precision == 'bf16' and device == 'cpu'
        else '')
    if cl_asked == AUTO:
        cl = choose_layout(phase, precision, device, family)
    hooks = [h for h in (cfg.get('custom_hooks') or [])
             if h.get('type') != 'ChannelsLastHook']
    if cl:
        hooks.append(dict(type='ChannelsLastHook'))
    cfg.custom_hooks = hooks
    cfg.amp, cfg.amp_dtype, cfg.channels_last = want, dtype, cl
    if asked is not False or cl_asked is not False:
        amp_part = (f'amp=auto -> {ran}' if ran is not None else
                    f'amp={dtype if want else "off"} on {device}')
        if cl_asked != AUTO:
            cl_part = f'channels_last={cl}'
        elif device == 'cpu':
            cl_part = f'channels_last=auto -> {cl} ({why})'
        else:
            cl_part = (f'channels_last=auto -> {cl} (not measured on '
                       f'{device}: NCHW)')
        print_log(f'fast path: {amp_part}, {cl_part}', logger='current')
    return dict(amp=dtype if want else None, channels_last=cl)
