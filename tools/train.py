"""Train a bus_mm (or any mmseg) segmentor: the mmseg ``tools/train.py`` interface.

Example::

    python tools/train.py configs/assgan/assgan_phantom-demo.py
    python tools/train.py configs/assgan_sdbui_15pct.py --work-dir work_dirs/sdbui --amp
    python tools/train.py configs/taichinet/unet_busi-cpu128.py --amp --channels-last  # bf16 on a CPU
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from bus_mm.engine.config_walk import (enable_gate_audit,  # noqa: E402
                                       set_data_root)
from bus_mm.engine.fast_path import (add_fast_path_args,  # noqa: E402
                                     apply_fast_path)
from bus_mm.engine.resumable_run import prepare_run  # noqa: E402
from bus_mm.engine.run_guard import guard_work_dir  # noqa: E402


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


def init_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Make ``--launcher pytorch`` work on CPU-only machines (gloo).

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its model
    wrappers pass ``device_ids=[LOCAL_RANK]``, neither of which a CPU model
    allows. So we start the gloo group ourselves (the runner then skips its
    own init) and build the DDP wrapper(s) with ``device_ids=None``.
    """
    import torch
    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    print_log(f'CPU distributed training: gloo, rank {dist.get_rank()} of '
              f'{dist.get_world_size()}', logger='current')


def load_config(config: str, cfg_options=None, work_dir=None,
                data_root=None) -> Config:
    """Load a config with CLI overrides and a default work dir, mmseg-style.

    ``data_root`` (``--data-root``) replaces the data root of every
    train/val/test dataset, ConcatDataset parts included.
    """
    if not osp.isfile(config):
        raise SystemExit(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if data_root is not None:
        if not osp.isdir(data_root):
            raise SystemExit(f'--data-root {data_root!r} is not a folder; give '
                             'the dataset folder (e.g. the BUSI root holding '
                             'benign/ and malignant/)')
        try:
            set_data_root(cfg, data_root)
        except ValueError as e:
            raise SystemExit(f'{config}: {e}') from None
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


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
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        # Tear the group down before the interpreter exits: a gloo group left
        # to process exit can abort a rank ("terminate called without an
        # active exception") after training has finished.
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
