"""The ``fastpath`` section of ``tools/analysis_tools/bench.py``: fp32 vs
bf16 vs bf16 + channels-last, training and inference, for the models that CPU
users train.

For each model (the ASSGAN phantom demo, TaiChiNet cpu128 and U-Net cpu128)
it times one training iteration (the model's own ``train_step`` with its
config's optimizer wrapper, as ``tools/train.py`` builds it with
``--no-amp``, ``--channels-last``, ``--amp`` and ``--amp --channels-last``)
and one inference forward, side by side, and derives the speed-ups and which
layout to use: channels-last is recommended for a model family when it
beats the plain layout by more than 3% in training (``CL_MARGIN``), in bf16
where bf16 runs, else in fp32. The configs default to that recommendation
(their headers cite these rows).

bf16 rows need a CPU with native bf16 (AVX-512 BF16 or AMX) or a CUDA GPU;
elsewhere the section times fp32 and fp32 + channels-last and says why.
"""
import copy
from types import ModuleType
from typing import Any, Callable

import torch

FASTPATH_MODELS = (
    ('ASSGAN demo', 'configs/assgan/assgan_phantom-demo.py'),
    ('TaiChiNet cpu128', 'configs/taichinet/taichinet_busi-cpu128.py'),
    ('U-Net cpu128', 'configs/taichinet/unet_busi-cpu128.py'),
)
MODES = ('fp32', 'fp32+cl', 'bf16', 'bf16+cl')
CL_MARGIN = 1.03


def _batch(bench: ModuleType, cfg, size: int, batch_size: int,
           model) -> dict:
    """A synthetic batch shaped like the config's training batches."""
    channels = len(cfg.model.data_preprocessor.get('mean') or [0, 0, 0])
    kind = type(model).__name__
    if kind == 'ASSGAN':
        return bench.synthetic_batch(batch_size, size, channels,
                                     num_labeled=batch_size // 2)
    return bench.synthetic_batch(batch_size, size, channels,
                                 curriculum=kind == 'TaiChiNet')


def _prepare(model) -> None:
    """Put a model in the state of its training run's second half
    (ASSGAN: semi phase; TaiChiNet: curriculum stage 2)."""
    if hasattr(model, 'semi_enabled'):
        model.semi_enabled = True
    if hasattr(model, 'stage'):
        model.stage = 2


def _time(bench: ModuleType, ctx: Any, fn: Callable, device: str) -> dict:
    timing, _ = bench.measure(fn, ctx.iters, ctx.warmup, device)
    return timing


def bench_fastpath(bench: ModuleType, ctx: Any, device: str,
                   out: dict) -> None:
    """Run the fastpath section (see the module docstring) on one device.

    Args:
        bench (ModuleType): The benchmark helpers: ``log``, ``measure``,
            ``make_row``, ``derived``, ``hw``, ``load_cfg``, ``build_model``,
            ``build_optim`` and ``synthetic_batch`` (``tools/analysis_tools/
            bench.py`` passes its own module).
        ctx (Any): The benchmark run's context (``args``, ``s`` sizes,
            ``iters``, ``warmup``, ``batch()``).
        device (str): 'cpu' or 'cuda[:N]'.
        out (dict): The section's result; its ``rows``, ``derived`` and
            ``info`` are extended in place.
    """
    from mmengine.config import Config
    from bus_mm.engine.fast_path import apply_fast_path
    from bus_mm.engine.optimizers.autocast_optim_wrapper import \
        check_autocast
    dev_type = device.split(':')[0]
    reason = check_autocast('bfloat16', dev_type)
    modes = MODES if reason is None else ('fp32', 'fp32+cl')
    if reason is not None:
        bench.log(f'fastpath [{device}]: no bf16 rows: {reason}')
        out['info']['no_bf16'] = reason
    rows, der = out['rows'], out['derived']
    for title, path in FASTPATH_MODELS:
        base = bench.load_cfg(path)
        crop = base.get('crop_size', (128, 128))
        size = ctx.args.size or ctx.s.get('assgan_size') or int(crop[0])
        size = int(size)
        batch_size = ctx.batch(
            4 if ctx.args.quick else base.train_dataloader.batch_size)
        ms = {}
        for mode in modes:
            cfg = Config(copy.deepcopy(base._cfg_dict.to_dict()))
            bf16 = mode.startswith('bf16')
            fast = apply_fast_path(cfg, amp=bf16, amp_dtype='bfloat16',
                                   channels_last=mode.endswith('+cl'))
            torch.manual_seed(0)
            model = bench.build_model(cfg.model, device)
            if fast['channels_last']:
                model.to(memory_format=torch.channels_last)
            optim = bench.build_optim(model, cfg.optim_wrapper)
            _prepare(model)
            batch = _batch(bench, cfg, size, batch_size, model)
            bench.log(f'fastpath [{device} {mode}]: {title} train iter, '
                      f'batch {batch_size} x{ctx.iters}')
            model.train()
            t = _time(bench, ctx, lambda: model.train_step(batch, optim),
                      device)
            rows.append(bench.make_row(f'{title} train iter', device, t,
                                       batch_size, bench.hw(size), mode))
            ms[('train', mode)] = t['median_ms']
            model.eval()
            data = model.data_preprocessor(copy.deepcopy(batch), False)
            dtype = torch.bfloat16 if bf16 else torch.float32

            @torch.no_grad()
            def forward():
                with torch.autocast(dev_type, dtype=dtype, enabled=bf16):
                    return model.predict(data['inputs'],
                                         data['data_samples'])
            t = _time(bench, ctx, forward, device)
            rows.append(bench.make_row(f'{title} inference', device, t,
                                       batch_size, bench.hw(size), mode))
            ms[('infer', mode)] = t['median_ms']
        for kind in ('train', 'infer'):
            for mode in modes[1:]:
                der.append(bench.derived(
                    f'{title} {kind} speed-up {mode} vs fp32', device,
                    ms[(kind, 'fp32')] / ms[(kind, mode)], 'x',
                    'median fp32 / median ' + mode, mode))
        prec = 'bf16' if 'bf16' in modes else 'fp32'
        gain = ms[('train', prec)] / ms[('train', prec + '+cl')]
        der.append(bench.derived(
            f'{title} channels_last gain, train', device, gain, 'x',
            f'{prec} / {prec}+cl; channels_last '
            + ('recommended' if gain > CL_MARGIN else 'not recommended')
            + f' (threshold {CL_MARGIN})', prec + '+cl'))
