"""Branch a semi-supervised arm from a finished supervised phase.

Copies the supervised phase's checkpoint (weights, optimizers, RNG states,
iteration) into an arm's fold folder, so ``tools/cross_val.py`` (or
``tools/train.py --resume``) continues it with the arm's config from that
iteration: every arm of the study shares its supervised phase bit for bit.
An arm without a discriminator gets the checkpoint without D's weights and
optimizer.

    python projects/assgan_trust/tools/branch.py SUP_CKPT ARM_FOLD_DIR \
        [--no-discriminator]
"""
import argparse
import os
import os.path as osp

import torch

from bus_mm.engine.checkpoint_compat import allow_mmengine_checkpoints


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help="the supervised phase's last "
                        'checkpoint (e.g. .../fold_0/iter_400.pth)')
    parser.add_argument('fold_dir', help="the arm's fold folder")
    parser.add_argument('--no-discriminator', action='store_true',
                        help='drop D (for arms whose config has none)')
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
    os.makedirs(args.fold_dir, exist_ok=True)
    torch.save(ckpt, dst + '.tmp')
    os.replace(dst + '.tmp', dst)
    print(f'branched {args.checkpoint} -> {dst}')


if __name__ == '__main__':
    main()
