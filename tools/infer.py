"""Segment new ultrasound images with a trained model: masks + overlays.

Example::

    python tools/infer.py CONFIG CHECKPOINT path/to/image_or_folder --out-dir work_dirs/infer

For every image it writes ``<out-dir>/masks/<name>.png`` (0/255 lesion mask at
the image's own size) and ``<out-dir>/overlays/<name>.png`` (red contour of the
prediction; green ground truth when ``--gt-dir`` is given). The model is built
and run by ``bus_mm.apis.init_model`` and ``bus_mm.apis.inference_model``.
"""
import argparse
import os
import os.path as osp
import time

import cv2
import numpy as np
from mmengine.config import DictAction
from mmengine.utils import ProgressBar

from bus_mm.apis import inference_model, init_model
from bus_mm.engine.fast_path import add_fast_path_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Segment BUS images')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('--out-dir', default='work_dirs/infer',
                        help='output folder (masks/ and overlays/)')
    parser.add_argument('--gt-dir', help='optional folder of ground-truth '
                        'masks named like the images, drawn in green')
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda[:N]' (default: cuda if available)")
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--no-overlay', action='store_true',
                        help='write masks only')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_fast_path_args(parser)
    return parser.parse_args(argv)


def list_images(path):
    from bus_mm.datasets.bus_base_dataset import IMG_EXTENSIONS
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise SystemExit(f'input not found: {path}')
    files = [osp.join(r, f) for r, _, fs in os.walk(path) for f in sorted(fs)
             if f.lower().endswith(IMG_EXTENSIONS) and '_mask' not in f]
    if not files:
        raise SystemExit(f'no images ({", ".join(IMG_EXTENSIONS)}) under {path}')
    return sorted(files)


def main(argv=None):
    args = parse_args(argv)
    from bus_mm.datasets.mask_io import read_image, read_mask
    from bus_mm.visualization.overlay import draw_overlay
    paths = list_images(args.input)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    model = init_model(args.config, args.checkpoint, args.device,
                       args.cfg_options, amp=args.amp,
                       amp_dtype=args.amp_dtype,
                       channels_last=args.channels_last)
    root = args.input if osp.isdir(args.input) else osp.dirname(args.input)
    mask_dir = osp.join(args.out_dir, 'masks')
    ov_dir = osp.join(args.out_dir, 'overlays')
    os.makedirs(mask_dir, exist_ok=True)
    if not args.no_overlay:
        os.makedirs(ov_dir, exist_ok=True)
    bar = ProgressBar(len(paths))
    start = time.perf_counter()
    for i in range(0, len(paths), args.batch_size):
        chunk = paths[i:i + args.batch_size]
        for path, result in zip(chunk, inference_model(model, chunk)):
            pred = result.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
            name = osp.splitext(osp.relpath(path, root))[0].replace(os.sep, '__')
            cv2.imwrite(osp.join(mask_dir, name + '.png'), pred * 255)
            if not args.no_overlay:
                gt = None
                if args.gt_dir:
                    gt_path = osp.join(args.gt_dir, osp.basename(path))
                    gt = read_mask(gt_path) if osp.isfile(gt_path) else None
                cv2.imwrite(osp.join(ov_dir, name + '.png'),
                            draw_overlay(read_image(path), pred, gt))
            bar.update()
    elapsed = time.perf_counter() - start
    print(f'\n{len(paths)} images in {elapsed:.1f} s '
          f'({1000 * elapsed / len(paths):.1f} ms/img); masks in {mask_dir}'
          + ('' if args.no_overlay else f', overlays in {ov_dir}'))


if __name__ == '__main__':
    main()
