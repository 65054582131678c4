"""Segment new ultrasound images with a trained model: masks + overlays.

Example::

    python tools/infer.py CONFIG CHECKPOINT path/to/image_or_folder --out-dir work_dirs/infer

For every image it writes ``<out-dir>/masks/<name>.png`` (0/255 lesion mask at
the image's own size) and ``<out-dir>/overlays/<name>.png`` (red contour of the
prediction; green ground truth when ``--gt-dir`` is given).
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import Compose, pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from bus_mm.engine.fast_path import (add_fast_path_args,  # noqa: E402
                                     apply_fast_path)

ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadBUSAnnotations',
                      'LoadCurriculumMasks')


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


def build_inferencer(config, checkpoint, device=None, cfg_options=None,
                     amp=None, amp_dtype=None, channels_last=None):
    """Return (model, pipeline) ready for :func:`segment`.

    ``amp``, ``amp_dtype`` and ``channels_last`` are the fast-path switches
    (see :func:`bus_mm.engine.fast_path.apply_fast_path`); None keeps the
    config's keys. Under ``amp`` :func:`segment` predicts under autocast.
    """
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    import bus_mm  # noqa: F401
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    # Built here rather than with mmseg's init_model, which passes
    # `pretrained=None` that bus_mm's own segmentors do not take.
    cfg.model.pop('pretrained', None)
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model)
    ckpt = load_checkpoint(model, checkpoint, map_location='cpu',
                           logger='silent')
    model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta')
    model.cfg = cfg
    model = model.to(device).eval()
    fast = apply_fast_path(cfg, amp, amp_dtype, channels_last, train=False)
    if fast['channels_last']:
        model.to(memory_format=torch.channels_last)
    model.autocast_dtype = fast['amp']
    steps = [t for t in cfg.test_pipeline if t['type'] not in ANNOTATION_LOADERS]
    return model, Compose(steps)


@torch.no_grad()
def segment(model, pipeline, paths):
    """Predict 0/1 masks (original image size) for a list of image paths."""
    batch = pseudo_collate([pipeline(dict(img_path=p, labeled=False))
                            for p in paths])
    dtype = getattr(model, 'autocast_dtype', None)
    device_type = next(model.parameters()).device.type
    with torch.autocast(device_type, dtype=getattr(torch, dtype or 'float32'),
                        enabled=dtype is not None):
        outputs = model.test_step(batch)
    return [o.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
            for o in outputs]


def main(argv=None):
    args = parse_args(argv)
    from bus_mm.datasets.mask_io import read_image, read_mask
    from bus_mm.visualization.overlay import draw_overlay
    paths = list_images(args.input)
    model, pipeline = build_inferencer(args.config, args.checkpoint,
                                       args.device, args.cfg_options,
                                       args.amp, args.amp_dtype,
                                       args.channels_last)
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
        for path, pred in zip(chunk, segment(model, pipeline, chunk)):
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
