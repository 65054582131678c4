"""Write a synthetic breast-ultrasound phantom data set in the BUSI layout.

Example::

    python tools/dataset_converters/make_phantoms.py data/phantom
    python tools/dataset_converters/make_phantoms.py data/phantom_hard \\
        --difficulty 0.9 --num-benign 200 --num-malignant 100 \\
        --num-normal 30 --workers 4

The result is read by the BUSI dataset (``data_root=data/phantom``); extra
outputs (``distractor_masks/``, ``phantom_meta.json``) are ignored by it.
Re-running with the same arguments is a no-op.
"""
import argparse
import os.path as osp
import sys
import time

from bus_mm.datasets.phantom import make_phantom_dataset


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate synthetic B-mode breast-ultrasound phantoms '
        '(BUSI layout).')
    parser.add_argument(
        'out_dir',
        nargs='?',
        default='data/phantom',
        help='output directory (default: data/phantom)')
    parser.add_argument('--num-benign', type=int, default=60)
    parser.add_argument('--num-malignant', type=int, default=30)
    parser.add_argument('--num-normal', type=int, default=10)
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[256, 256],
        metavar=('H', 'W'),
        help='image height and width (default: 256 256)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--difficulty',
        type=float,
        default=0.5,
        help='0 (easy) .. 1 (distractors nearly like lesions); default 0.5')
    parser.add_argument(
        '--second-lesion-prob',
        type=float,
        default=0.1,
        help='probability of a second lesion (_mask_1.png) per lesion image')
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='worker processes (0: render in this process)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into a non-empty directory that is not a phantom set '
        'with the same arguments')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    meta_file = osp.join(args.out_dir, 'phantom_meta.json')
    stamp = osp.getmtime(meta_file) if osp.isfile(meta_file) else None
    start = time.perf_counter()
    try:
        meta = make_phantom_dataset(
            args.out_dir,
            num_benign=args.num_benign,
            num_malignant=args.num_malignant,
            num_normal=args.num_normal,
            size=tuple(args.size),
            seed=args.seed,
            difficulty=args.difficulty,
            workers=args.workers,
            overwrite=args.overwrite,
            second_lesion_prob=args.second_lesion_prob,
            progress=True)
    except (FileExistsError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    counts = meta['counts']
    total = counts['total']
    summary = (f"benign {counts['benign']}, malignant {counts['malignant']}, "
               f"normal {counts['normal']}, second lesions "
               f"{counts['second_lesion']}")
    if stamp is not None and osp.getmtime(meta_file) == stamp:
        # nothing was rendered: an identical phantom set was already there
        print(f'{args.out_dir}: phantom set with these arguments already '
              f'present ({total} images: {summary})')
    else:
        print(f'{args.out_dir}: wrote {total} images ({summary}) in '
              f'{elapsed:.2f} s, {total / max(elapsed, 1e-9):.1f} images/s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
