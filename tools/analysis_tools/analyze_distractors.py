"""False positives on the phantom distractors (ducts, fat lobules, shadows).

TaiChiNet's claim is fewer false positives on lesion-like background. The
phantom generator (tools/dataset_converters/make_phantoms.py) writes where
its dark non-lesion distractors are
(``<root>/distractor_masks/<class> (<n>).png``); this tool counts the
predicted lesion pixels that fall on them.

Example::

    python tools/test.py CONFIG CKPT --out work_dirs/x/pred_masks
    python tools/analysis_tools/analyze_distractors.py work_dirs/x/pred_masks \\
        data/phantom_eval

A false positive on a distractor is a pixel predicted as lesion that is a
distractor pixel and not ground-truth lesion. Prints, over the predicted
masks found, the mean per image and the total of those pixels, the fraction
of distractor pixels predicted as lesion, and the share of all false-positive
pixels that lie on distractors.
"""
import argparse
import csv
import glob
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

DISTRACTOR_DIR = 'distractor_masks'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count predicted lesion pixels on phantom distractors')
    parser.add_argument('pred_dir', help='predicted masks (0/255 PNG), e.g. '
                        'tools/test.py --out; named '
                        '<class>__<class> (<n>).png')
    parser.add_argument('data_root', help='phantom root with '
                        f'{DISTRACTOR_DIR}/ '
                        '(tools/dataset_converters/make_phantoms.py)')
    parser.add_argument('--csv', help='write per-image counts to this CSV')
    return parser.parse_args(argv)


def _sample_id(pred_name: str) -> str:
    """'benign__benign (3).png' -> 'benign/benign (3)' (BUSOverlayHook)."""
    return osp.splitext(pred_name)[0].replace('__', '/')


def _gt_paths(data_root: str, sample_id: str) -> List[str]:
    base = osp.join(data_root, sample_id)
    paths = [base + '_mask.png'] + sorted(glob.glob(
        glob.escape(base) + '_mask_*.png'))
    return [p for p in paths if osp.isfile(p)]


def distractor_false_positives(pred_dir: str, data_root: str) -> Dict:
    """Count predicted lesion pixels on distractors, per image and overall.

    Args:
        pred_dir (str): Folder of predicted 0/255 (or 0/1) masks at the
            original image size, named like ``tools/test.py --out`` writes
            them (``<class>__<class> (<n>).png``).
        data_root (str): Phantom root holding ``distractor_masks/`` and the
            BUSI-layout ground truth.

    Returns:
        dict: ``per_image`` (list of dicts with ``sample_id``, ``category``,
        ``fp_on_distractor``, ``distractor_pixels``, ``fp_pixels``) and the
        summary keys ``num_images``, ``mean_fp_on_distractor``,
        ``total_fp_on_distractor``, ``images_with_fp_on_distractor``,
        ``distractor_fp_rate`` (total / distractor pixels) and
        ``fp_share_on_distractor`` (total / all false-positive pixels).
    """
    from bus_mm.datasets.mask_io import read_mask, read_union_mask
    dist_dir = osp.join(data_root, DISTRACTOR_DIR)
    if not osp.isdir(dist_dir):
        raise FileNotFoundError(
            f'{dist_dir!r} does not exist: data_root must be a phantom set '
            'written by tools/dataset_converters/make_phantoms.py')
    names = sorted(f for f in os.listdir(pred_dir) if f.endswith('.png')) \
        if osp.isdir(pred_dir) else []
    if not names:
        raise FileNotFoundError(
            f'no predicted masks (*.png) in {pred_dir!r}; write them with '
            'tools/test.py CONFIG CKPT --out DIR')
    rows = []
    for name in names:
        sid = _sample_id(name)
        stem = osp.basename(sid)
        pred = read_mask(osp.join(pred_dir, name)).astype(bool)
        dist_path = osp.join(dist_dir, stem + '.png')
        if not osp.isfile(dist_path):
            raise FileNotFoundError(
                f'no distractor mask {dist_path!r} for prediction {name!r}: '
                'were the predictions made on this phantom set?')
        dist = read_mask(dist_path).astype(bool)
        gt_paths = _gt_paths(data_root, sid)
        gt = (read_union_mask(gt_paths).astype(bool) if gt_paths else
              np.zeros_like(dist))
        if not pred.shape == dist.shape == gt.shape:
            raise ValueError(
                f'{name}: prediction {pred.shape}, distractor '
                f'{dist.shape} and ground truth {gt.shape} differ in size; '
                'predictions must be at the original image size '
                '(tools/test.py --out)')
        fp = pred & ~gt
        rows.append(dict(
            sample_id=sid,
            category=sid.split('/')[0] if '/' in sid else '',
            fp_on_distractor=int((fp & dist).sum()),
            distractor_pixels=int((dist & ~gt).sum()),
            fp_pixels=int(fp.sum())))
    total = sum(r['fp_on_distractor'] for r in rows)
    dist_total = sum(r['distractor_pixels'] for r in rows)
    fp_total = sum(r['fp_pixels'] for r in rows)
    return dict(
        per_image=rows,
        num_images=len(rows),
        mean_fp_on_distractor=total / len(rows),
        total_fp_on_distractor=total,
        images_with_fp_on_distractor=sum(
            r['fp_on_distractor'] > 0 for r in rows),
        total_distractor_pixels=dist_total,
        total_fp_pixels=fp_total,
        distractor_fp_rate=total / dist_total if dist_total else 0.0,
        fp_share_on_distractor=total / fp_total if fp_total else 0.0)


def main(argv=None) -> Optional[dict]:
    args = parse_args(argv)
    try:
        res = distractor_false_positives(args.pred_dir, args.data_root)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(str(e))
    if args.csv:
        with open(args.csv, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=list(res['per_image'][0]))
            writer.writeheader()
            writer.writerows(res['per_image'])
    print(f'images: {res["num_images"]}')
    print(f'FP pixels on distractors: mean {res["mean_fp_on_distractor"]:.1f}'
          f' per image, total {res["total_fp_on_distractor"]} '
          f'({res["images_with_fp_on_distractor"]} images with any)')
    print(f'distractor pixels predicted as lesion: '
          f'{100 * res["distractor_fp_rate"]:.2f}% of '
          f'{res["total_distractor_pixels"]}')
    print(f'share of all FP pixels on distractors: '
          f'{100 * res["fp_share_on_distractor"]:.1f}% of '
          f'{res["total_fp_pixels"]}')
    return res


if __name__ == '__main__':
    main()
