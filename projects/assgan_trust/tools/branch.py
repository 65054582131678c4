"""Branch a semi-supervised arm from a finished supervised phase.

Copies the supervised phase's checkpoint (weights, optimizers, RNG states,
iteration) into an arm's fold folder, so ``tools/cross_val.py`` (or
``tools/train.py --resume``) continues it with the arm's config from that
iteration: every arm of the study shares its supervised phase bit for bit.
An arm without a discriminator gets the checkpoint without D's weights and
optimizer. ``--to-unimatch`` branches a UniMatch arm: generator A (weights,
Adam state, LR schedule) becomes UniMatch's student ``segmentor``, so UniMatch
continues from the same network and optimizer state as the ASSGAN arms.

    python projects/assgan_trust/tools/branch.py SUP_CKPT ARM_FOLD_DIR \
        [--no-discriminator | --to-unimatch]
"""
import argparse
import os
import os.path as osp

import torch

from bus_mm.engine.checkpoint_compat import allow_mmengine_checkpoints


def to_unimatch(ckpt: dict, source: str = 'generator_a') -> dict:
    """An ASSGAN checkpoint as UniMatch's: ``source``'s weights as
    ``segmentor.*``, its optimizer and schedulers under ``segmentor``."""
    prefix = source + '.'
    ckpt['state_dict'] = {'segmentor.' + k[len(prefix):]: v
                          for k, v in ckpt['state_dict'].items()
                          if k.startswith(prefix)}
    for key in ('optimizer', 'param_schedulers'):
        if isinstance(ckpt.get(key), dict):
            ckpt[key] = {'segmentor': ckpt[key][source]}
    return ckpt


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help="the supervised phase's last "
                        'checkpoint (e.g. .../fold_0/iter_400.pth)')
    parser.add_argument('fold_dir', help="the arm's fold folder")
    parser.add_argument('--no-discriminator', action='store_true',
                        help='drop D (for arms whose config has none)')
    parser.add_argument('--to-unimatch', action='store_true',
                        help="generator A as UniMatch's student (drops "
                        'generator B, D and the gate)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'{args.checkpoint}: no such checkpoint; run the '
                         'supervised phase first')
    dst = osp.join(args.fold_dir, osp.basename(args.checkpoint))
    if osp.exists(dst):
        raise SystemExit(f'{dst} exists: the arm was branched already')
    # bus_mm's narrow allow-list: the copy pickles as mmengine's checkpoint
    # does, so --resume reads it
    allow_mmengine_checkpoints()
    ckpt = torch.load(args.checkpoint, map_location='cpu')
    if args.no_discriminator:
        ckpt['state_dict'] = {k: v for k, v in ckpt['state_dict'].items()
                              if not k.startswith('discriminator.')}
        ckpt.get('optimizer', {}).pop('discriminator', None)
        if isinstance(ckpt.get('param_schedulers'), dict):
            ckpt['param_schedulers'].pop('discriminator', None)
    if args.to_unimatch:
        ckpt = to_unimatch(ckpt)
    # the arm logs and keeps its own best checkpoint: without this the
    # CheckpointHook would delete the supervised phase's best_*.pth
    hub = ckpt.get('message_hub', {})
    for key in ('best_ckpt', 'best_score'):
        hub.get('runtime_info', {}).pop(key, None)
    hub['log_scalars'] = {k: v for k, v in hub.get('log_scalars', {}).items()
                          if not k.startswith('train/')}
    os.makedirs(args.fold_dir, exist_ok=True)
    torch.save(ckpt, dst + '.tmp')
    os.replace(dst + '.tmp', dst)
    print(f'branched {args.checkpoint} -> {dst}')


if __name__ == '__main__':
    main()
