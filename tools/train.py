"""Train a bus_mm (or any mmseg) segmentor: the mmseg ``tools/train.py`` interface.

Example::

    python tools/train.py configs/assgan/assgan_phantom-demo.py
    python tools/train.py configs/assgan_sdbui_15pct.py --work-dir work_dirs/sdbui --amp
    python tools/train.py configs/taichinet/unet_busi-cpu128.py --amp --channels-last  # bf16 on a CPU
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.runner import Runner

from bus_mm.apis import destroy_distributed, init_cpu_distributed, load_config
from bus_mm.engine.config_walk import enable_gate_audit
from bus_mm.engine.fast_path import add_fast_path_args, apply_fast_path
from bus_mm.engine.resumable_run import prepare_run
from bus_mm.engine.run_guard import guard_work_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a BUS segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', action='store_true',
        help='resume from the latest checkpoint in the work dir')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='allow retraining in a work dir that already holds a run '
        '(its checkpoints are replaced)')
    parser.add_argument(
        '--allow-nonfinite', action='store_true',
        help='keep training on NaN/Inf losses (default: stop with a message '
        'naming the iteration, loss term and network)')
    parser.add_argument(
        '--data-root', help='dataset folder for every train/val/test dataset '
        "(default: the config's data_root)")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, xxx=yyy format (mmengine DictAction)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument(
        '--audit-gate', action='store_true',
        help='ASSGAN: load the masks of the unlabeled images (they must have '
        'them) to measure how well the trust gate ranks pseudo-label quality; '
        'the masks never reach a loss')
    add_fast_path_args(parser)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.data_root)
    cfg.launcher = args.launcher
    apply_fast_path(cfg, args.amp, args.amp_dtype, args.channels_last)
    if args.audit_gate:
        try:
            enable_gate_audit(cfg)
        except ValueError as e:
            raise SystemExit(f'{args.config}: {e}') from None
    cfg.resume = args.resume
    init_cpu_distributed(cfg, args.launcher)
    if int(os.environ.get('RANK', 0)) == 0:
        guard_work_dir(cfg, resume=args.resume, overwrite=args.overwrite)
    # exact resume, crash-safe checkpoint choice, NaN/Inf and empty-mask guards
    prepare_run(cfg, resume=args.resume, allow_nonfinite=args.allow_nonfinite)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        from mmseg.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    runner.train()
    destroy_distributed()


if __name__ == '__main__':
    main()
