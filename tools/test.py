"""Test (evaluate) a trained BUS segmentor: the mmseg ``tools/test.py`` interface.

Example::

    python tools/test.py CONFIG CHECKPOINT --show-dir work_dirs/x/overlays
    python tools/test.py configs/assgan/... ckpt.pth --predict-with generator_a generator_b mean
    python tools/test.py configs/taichinet/... ckpt.pth --predict-with positive negative mean
    bash tools/dist_test.sh CONFIG CHECKPOINT 2 --csv per_image.csv  # 2 processes
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner

from bus_mm.apis import destroy_distributed, init_cpu_distributed, load_config
from bus_mm.engine.fast_path import add_fast_path_args, apply_fast_path
from bus_mm.models.segmentors.taichinet_ablations import TAICHINET_ABLATIONS


# the outputs --predict-with can evaluate, by model type
READOUTS = dict(ASSGAN=('generator_a', 'generator_b', 'mean'),
                TaiChiNet=('positive', 'negative', 'mean'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a BUS segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='dir for logs and metrics '
                        '(default: the checkpoint\'s folder)')
    parser.add_argument('--out', help='dir to write predicted masks (0/255 PNG '
                        'at the original image size)')
    parser.add_argument('--show-dir', help='dir to write overlays: image with '
                        'ground-truth (green) and predicted (red) contours')
    parser.add_argument('--show-max', type=int, default=None,
                        help='write at most this many overlays')
    parser.add_argument('--csv', help='write per-image metrics to this CSV file')
    parser.add_argument(
        '--predict-with', nargs='+', default=None, metavar='OUTPUT',
        choices=sorted({o for outs in READOUTS.values() for o in outs}),
        help='evaluate each listed output in turn (model.test_cfg.'
        'predict_with): ASSGAN generator_a, generator_b, mean (of both); '
        'TaiChiNet positive (the lesion path), negative (1 - the background '
        'path), mean (of both)')
    parser.add_argument('--data-root', help='dataset folder for every '
                        "dataset (default: the config's data_root)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy format')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    add_fast_path_args(parser)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_readouts(readouts, model_cfg) -> None:
    """Refuse ``--predict-with`` outputs the config's model does not have."""
    if not readouts:
        return
    kind = model_cfg.get('type')
    if kind not in READOUTS:
        raise SystemExit('--predict-with applies to '
                         f'{" and ".join(READOUTS)} models only (this config '
                         f'builds {kind})')
    wrong = [r for r in readouts if r not in READOUTS[kind]]
    if wrong:
        raise SystemExit(f'--predict-with {" ".join(wrong)}: {kind} predicts '
                         f'with {", ".join(READOUTS[kind])}')
    negative = model_cfg.get('use_negative_path')
    if kind == 'TaiChiNet' and negative is None and model_cfg.get('ablation'):
        negative = TAICHINET_ABLATIONS.get(model_cfg.ablation, {}).get(
            'use_negative_path')
    if kind == 'TaiChiNet' and negative is False and any(
            r != 'positive' for r in readouts):
        raise SystemExit('--predict-with negative / mean need the negative '
                         'path; this TaiChiNet has only the positive one '
                         '(Model 1: use_negative_path=False)')


def _suffix_dir(path, suffix):
    return None if path is None else (osp.join(path, suffix) if suffix else path)


def run_test(cfg, checkpoint, out=None, show_dir=None, show_max=None, csv=None,
             suffix=''):
    """Build a runner for ``cfg`` and evaluate ``checkpoint``; returns metrics."""
    cfg = cfg.copy()
    cfg.load_from = checkpoint
    hooks = [h for h in cfg.get('custom_hooks', []) or []
             if h.get('type') != 'BUSOverlayHook']
    if out or show_dir:
        hooks.append(dict(type='BUSOverlayHook',
                          show_dir=_suffix_dir(show_dir, suffix),
                          mask_dir=_suffix_dir(out, suffix),
                          max_images=show_max))
    cfg.custom_hooks = hooks
    if csv:
        stem, ext = osp.splitext(csv)
        evaluators = cfg.test_evaluator if isinstance(
            cfg.test_evaluator, list) else [cfg.test_evaluator]
        for ev in evaluators:
            if ev.get('type') == 'BUSMetric':
                ev['csv_file'] = f'{stem}_{suffix}{ext}' if suffix else csv
    runner = Runner.from_cfg(cfg)
    return runner.test()


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args.config, args.cfg_options,
                      args.work_dir or osp.dirname(osp.abspath(args.checkpoint)),
                      args.data_root)
    cfg.launcher = args.launcher
    apply_fast_path(cfg, args.amp, args.amp_dtype, args.channels_last,
                    train=False)
    variants = args.predict_with or [None]
    check_readouts(args.predict_with, cfg.model)
    init_cpu_distributed(cfg, args.launcher)
    results = {}
    for variant in variants:
        vcfg = cfg.copy()
        if variant is not None:
            vcfg.model.setdefault('test_cfg', {})
            vcfg.model.test_cfg['predict_with'] = variant
        results[variant or 'model'] = run_test(
            vcfg, args.checkpoint, args.out, args.show_dir, args.show_max,
            args.csv, suffix=variant if len(variants) > 1 else '')
    if int(os.environ.get('RANK', 0)) == 0:
        path = osp.join(cfg.work_dir, 'test_metrics.json')
        record = dict(config=args.config, checkpoint=args.checkpoint,
                      metrics=results)
        with open(path, 'w') as f:
            json.dump(record, f, indent=1)
        for name, metrics in results.items():
            print(f'[{name}] ' + '  '.join(
                f'{k}={v:.4f}' if isinstance(v, float) else f'{k}={v}'
                for k, v in metrics.items()))
        print(f'metrics written to {path}')
    destroy_distributed()


if __name__ == '__main__':
    main()
