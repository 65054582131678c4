"""The ``taichinet-w32`` section of ``tools/analysis_tools/bench.py``: the
cost of one training iteration of TaiChiNet's Table I models at the paper's
width (sub-U-Nets with 32-64-128-256-512 channels) on the 128 px CPU footing.

For U-Net (Model 1), Model 7 and TaiChiNet (the ``*_busi-cpu128-w32*.py``
configs) it builds the model and its optimizer wrapper as ``tools/train.py``
does with ``--no-amp`` (fp32) and ``--amp`` (bf16), the layout taken from the
config's ``channels_last`` key ('auto': :data:`bus_mm.engine.fast_path.LAYOUT`
for training in that precision), and times ``train_step`` at the config's
input size and batch size (TaiChiNet in curriculum stage 2, every loss on).
It reports seconds per iteration, the parameter counts and the training time
of one fold's schedule (``train_cfg.max_iters`` x s/it: ``train_step`` only,
without data loading, validation or test), to size a study before running it.

bf16 rows need a CPU with native bf16 (AVX-512 BF16 or AMX) or a CUDA GPU;
elsewhere the section times fp32 only and says why.
"""
import copy
from types import ModuleType
from typing import Any

import torch

from .bench_fastpath import _batch, _prepare, _time

PAPER_WIDTH_MODELS = (
    ('U-Net w32 (Model 1)', 'configs/taichinet/unet_busi-cpu128-w32.py'),
    ('Model 7 w32',
     'configs/taichinet/taichinet_busi-cpu128-w32_no-curriculum.py'),
    ('TaiChiNet w32', 'configs/taichinet/taichinet_busi-cpu128-w32.py'),
)
PRECISIONS = ('fp32', 'bf16')


def _widths(model_cfg) -> str:
    """The sub-U-Net's channel widths of a TaiChiNet model config."""
    backbone = model_cfg.backbone
    width = backbone.get('base_channels', 32)
    return '-'.join(
        str(width * 2**i) for i in range(backbone.get('num_stages', 5)))


def bench_paper_width(bench: ModuleType, ctx: Any, device: str,
                      out: dict) -> None:
    """Run the taichinet-w32 section (see the module docstring) on one
    device.

    Args:
        bench (ModuleType): The benchmark helpers: ``log``, ``measure``,
            ``make_row``, ``derived``, ``hw``, ``load_cfg``, ``build_model``,
            ``build_optim``, ``num_params`` and ``synthetic_batch``
            (``tools/analysis_tools/bench.py`` passes its own module).
        ctx (Any): The benchmark run's context (``args``, ``iters``,
            ``warmup``, ``batch()``).
        device (str): 'cpu' or 'cuda[:N]'.
        out (dict): The section's result; its ``rows``, ``derived``,
            ``params`` and ``info`` are extended in place.
    """
    from mmengine.config import Config

    from bus_mm.engine.fast_path import apply_fast_path
    from bus_mm.engine.optimizers.autocast_optim_wrapper import \
        check_autocast
    dev_type = device.split(':')[0]
    reason = check_autocast('bfloat16', dev_type)
    precisions = PRECISIONS if reason is None else ('fp32', )
    if reason is not None:
        bench.log(f'taichinet-w32 [{device}]: no bf16 rows: {reason}')
        out['info']['no_bf16'] = reason
    rows, der, params = out['rows'], out['derived'], out['params']
    sec = {}
    for title, path in PAPER_WIDTH_MODELS:
        base = bench.load_cfg(path)
        crop = base.get('crop_size', (128, 128))
        size = int(ctx.args.size or (64 if ctx.args.quick else crop[0]))
        batch_size = ctx.batch(
            4 if ctx.args.quick else base.train_dataloader.batch_size)
        max_iters = int(base.train_cfg.max_iters)
        widths = _widths(base.model)
        out['info'][title] = dict(config=path, size=size,
                                  batch_size=batch_size, channels=widths,
                                  max_iters=max_iters)
        counted = False
        for prec in precisions:
            cfg = Config(copy.deepcopy(base._cfg_dict.to_dict()))
            bf16 = prec == 'bf16'
            fast = apply_fast_path(cfg, amp=bf16, amp_dtype='bfloat16')
            torch.manual_seed(0)
            model = bench.build_model(cfg.model, device)
            if not counted:
                params.append(dict(model=title,
                                   params=bench.num_params(model)))
                counted = True
            if fast['channels_last']:
                model.to(memory_format=torch.channels_last)
            optim = bench.build_optim(model, cfg.optim_wrapper)
            _prepare(model)
            batch = _batch(bench, cfg, size, batch_size, model)
            layout = 'NHWC' if fast['channels_last'] else 'NCHW'
            bench.log(f'taichinet-w32 [{device} {prec}]: {title} train iter, '
                      f'batch {batch_size} {bench.hw(size)} x{ctx.iters}')
            model.train()
            t = _time(bench, ctx, lambda: model.train_step(batch, optim),
                      device)
            s_it = t['median_ms'] / 1000.0
            rows.append(bench.make_row(
                f'{title} train iter', device, t, batch_size, bench.hw(size),
                prec, note=f'channels {widths}, {layout}; {s_it:.3g} s/it'))
            der += [
                bench.derived(f'{title} s per training iteration', device,
                              s_it, 's/it', 'median', prec),
                bench.derived(
                    f'{title} training, {max_iters} iterations', device,
                    s_it * max_iters / 60.0, 'min',
                    'train_step only: no data loading, validation or test',
                    prec),
            ]
            sec[(title, prec)] = t['median_ms']
            del model, optim
    unet, tc = PAPER_WIDTH_MODELS[0][0], PAPER_WIDTH_MODELS[-1][0]
    for prec in precisions:
        der.append(bench.derived(
            'train iter TaiChiNet w32 / U-Net w32', device,
            sec[(tc, prec)] / sec[(unet, prec)], 'x', precision=prec))
    if 'bf16' in precisions:
        for title, _ in PAPER_WIDTH_MODELS:
            der.append(bench.derived(
                f'{title} train speed-up bf16 vs fp32', device,
                sec[(title, 'fp32')] / sec[(title, 'bf16')], 'x',
                'median fp32 / median bf16', 'bf16'))
