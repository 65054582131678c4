"""Mine TaiChiNet's easy/hard lesion parts with a U-Net++ teacher (Sec. IV-C).

TaiChiNet's "one-shot preparation": a U-Net++ with deep supervision is trained
once per dataset (fold), then for every labeled training image

* ``E_p = (Output(1) > thr) AND GT``            (easy part, Eq. 23)
* ``H_p = ((Output(4) > thr) AND GT) - E_p``    (hard part, Eq. 24)

are written as 0/255 PNGs at the image's original size to
``<out>/easy/<sample_id>.png`` and ``<out>/hard/<sample_id>.png``
(``sample_id`` such as ``benign/benign (3)`` gives sub-folders), plus
``<out>/curriculum_meta.json``. TaiChiNet configs read them back with
``LoadCurriculumMasks(curriculum_dir=<out>)``.

Examples::

    # train the teacher (into <out>/unetpp) and mine the masks
    python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py \\
        --out work_dirs/curriculum/busi_fold0
    # with a trained teacher; fold 2 of the 5-fold split
    python tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py \\
        --checkpoint work_dirs/unetpp_fold2/best_IoU_epoch_38.pth \\
        --out work_dirs/curriculum/busi_fold2 --cfg-options \\
        train_dataloader.dataset.split.fold=2 \\
        val_dataloader.dataset.split.fold=2 \\
        test_dataloader.dataset.split.fold=2

The images are those of the config's ``train_dataloader`` dataset (its split
and fold, ``--split-part`` to pick another part), read with the config's test
pipeline (no augmentation). The level probabilities are resized back to the
original image size before thresholding, and the ground truth is read at that
size, so the masks line up with what ``LoadBUSAnnotations`` loads.

Teacher quality is reported (printed and in ``curriculum_meta.json``):

* the share of each lesion in ``E_p``, in ``H_p`` and missed by both, per
  image (``per_image``) and as mean / median / min / max (``shares``);
* the teacher's own IoU on the ``val_dataloader`` images (per-image mean,
  the ``BUSMetric`` IoU) at its prediction level and at every level
  (``teacher_val``);
* with ``--student-iou X`` or ``--student-work-dir D`` (a Model-1 run whose
  best val IoU is read from its logs), a warning when the teacher's val IoU
  is below the student's: its parts then come from a weaker model than the
  one they are meant to guide (``teacher_warning``).
"""
import argparse
import copy
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Optional

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

from bus_mm.apis import (best_val_iou, build_inference_pipeline, init_model,
                         load_config)
from bus_mm.engine.fast_path import add_fast_path_args, fast_path_argv

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
META_FILE = 'curriculum_meta.json'
SUBDIRS = ('easy', 'hard')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Write TaiChiNet's easy/hard curriculum masks (E_p, H_p) "
        'from a U-Net++ teacher')
    parser.add_argument('config', help='U-Net++ (UNetPlusPlus) config file')
    parser.add_argument(
        '--checkpoint',
        help='trained teacher checkpoint; if omitted, the teacher is trained '
        'first with tools/train.py into <out>/unetpp and its best (else last) '
        'checkpoint is used')
    parser.add_argument('--out', required=True,
                        help='output folder (easy/, hard/, '
                        f'{META_FILE})')
    parser.add_argument(
        '--split-part', default='train',
        choices=['train', 'val', 'test', 'labeled', 'all'],
        help="part of the train dataset's split to mine (default: train)")
    parser.add_argument('--thr', type=float, default=0.5,
                        help='probability threshold of Eqs. 23-24 '
                        '(default: 0.5)')
    parser.add_argument('--batch-size', type=int, default=4,
                        help='images per forward pass (default: 4)')
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda[:N]' (default: cuda if "
                        'available)')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='allow writing into a non-empty --out (old easy/, hard/ and '
        'meta are removed; the teacher is retrained when --checkpoint is '
        'omitted)')
    parser.add_argument(
        '--resume', action='store_true',
        help="continue a teacher training killed midway in <out>/unetpp from "
        'its last checkpoint (tools/train.py --resume), then mine as usual; '
        'old easy/, hard/ and meta in --out are replaced')
    parser.add_argument(
        '--student-iou', type=float, default=None,
        help="the student's Model-1 (single U-Net) val IoU in [0, 1]; warn "
        "when the teacher's val IoU is lower")
    parser.add_argument(
        '--student-work-dir', default=None,
        help='a Model-1 work dir (tools/train.py or one cross-validation '
        'fold); its best val IoU is read from its vis_data/scalars.json and '
        'used as --student-iou')
    parser.add_argument(
        '--no-teacher-val', action='store_true',
        help="skip the teacher's val IoU (no val images to score)")
    parser.add_argument(
        '--cfg-options', nargs='+', default=None,
        help='override config settings, xxx=yyy format (as tools/train.py); '
        'also used to train the teacher')
    # passed on to the teacher's training (tools/train.py); the mining
    # itself always predicts in fp32 and the plain layout
    add_fast_path_args(parser)
    args = parser.parse_args(argv)
    if not 0.0 < args.thr < 1.0:
        parser.error(f'--thr must lie in (0, 1), got {args.thr}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.resume and args.checkpoint:
        parser.error('--resume continues the teacher training in '
                     '<out>/unetpp; it cannot be combined with --checkpoint '
                     '(a trained teacher)')
    if args.student_iou is not None and args.student_work_dir:
        parser.error('give --student-iou or --student-work-dir, not both')
    if args.student_iou is not None and not 0.0 <= args.student_iou <= 1.0:
        parser.error('--student-iou is a fraction in [0, 1] (e.g. 0.571 for '
                     f'57.1%), got {args.student_iou}')
    return args


def parse_cfg_options(options):
    """``['a.b=1', ...]`` -> dict, exactly as mmengine's ``DictAction``."""
    if not options:
        return None
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    return parser.parse_args(['--o', *options]).o


def check_out_dir(out: str, overwrite: bool) -> None:
    """Refuse a non-empty ``out`` unless ``overwrite``, else clear it."""
    if osp.isfile(out):
        raise SystemExit(f'--out {out!r} is a file; give a folder')
    if osp.isdir(out) and os.listdir(out):
        if not overwrite:
            raise SystemExit(
                f'--out {out!r} is not empty (holds '
                f'{sorted(os.listdir(out))[:5]}); pass --overwrite to '
                'replace its curriculum masks, or choose another --out')
        for sub in SUBDIRS:
            shutil.rmtree(osp.join(out, sub), ignore_errors=True)
        if osp.isfile(osp.join(out, META_FILE)):
            os.remove(osp.join(out, META_FILE))
    os.makedirs(out, exist_ok=True)


def train_teacher(config: str,
                  work_dir: str,
                  options,
                  overwrite: bool,
                  fast_path: Optional[list] = None,
                  resume: bool = False) -> str:
    """Train the U-Net++ with tools/train.py; return its checkpoint.

    Args:
        config (str): The teacher's config file.
        work_dir (str): Its training work dir.
        options (list | None): ``--cfg-options`` words for the training.
        overwrite (bool): Replace an earlier training in ``work_dir``.
        fast_path (list, optional): Fast-path flags for tools/train.py
            (``--amp=auto``, ``--no-amp``, ...; see
            :func:`bus_mm.engine.fast_path.fast_path_argv`).
        resume (bool): Continue an earlier training in ``work_dir`` from its
            last checkpoint instead of replacing it.
    """
    argv = [config, '--work-dir', work_dir]
    if resume:
        argv.append('--resume')
    elif overwrite:
        argv.append('--overwrite')
    argv += fast_path or []
    if options:
        argv += ['--cfg-options', *options]
    print(f'training the U-Net++ teacher: tools/train.py {" ".join(argv)}',
          flush=True)
    rc = subprocess.call([sys.executable, osp.join(TOOLS, 'train.py'), *argv])
    if rc != 0:
        raise SystemExit(f'training the teacher failed (tools/train.py exit '
                         f'code {rc}); see its messages above')
    from bus_mm.engine.run_guard import find_checkpoint
    try:
        return find_checkpoint(work_dir, 'best')
    except FileNotFoundError:
        raise SystemExit(f'no checkpoint found in {work_dir!r} after '
                         'training') from None


def build_teacher(cfg, checkpoint: str, device: str):
    """Build the config's model, load ``checkpoint`` and check it is a teacher.

    The teacher predicts in fp32 and the plain layout whatever the config's
    fast-path keys say, so its masks do not depend on them.
    """
    if not osp.isfile(checkpoint):
        raise SystemExit(f'checkpoint not found: {checkpoint}')
    model = init_model(cfg, checkpoint, device, strict=True, amp=False,
                       channels_last=False)
    if not callable(getattr(model, 'predict_levels', None)):
        raise SystemExit(
            f'{cfg.filename}: the model ({type(model).__name__}) has no '
            '`predict_levels`; prepare_curriculum.py needs a U-Net++ teacher '
            'config (model.type=UNetPlusPlus), e.g. '
            'configs/taichinet/unetpp_busi-224.py')
    return model


def build_mining_dataset(cfg, split_part: str):
    """The train dataloader's dataset, ``split_part`` of its split, built
    with the test pipeline minus annotation loaders (the ground truth is read
    separately at the original size)."""
    from mmseg.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    if 'pipeline' not in ds_cfg or 'split_part' not in ds_cfg:
        raise SystemExit(
            f'{cfg.filename}: train_dataloader.dataset must be a bus_mm '
            f'dataset (BUSIDataset, UDIATDataset, ...) with a split, got '
            f'{ds_cfg.get("type")}; dataset wrappers are not supported')
    ds_cfg.pipeline = []
    ds_cfg.split_part = split_part
    dataset = DATASETS.build(ds_cfg)
    return dataset, build_inference_pipeline(cfg)


def level_probs_at_original_size(probs: torch.Tensor, meta: dict,
                                 align_corners: bool = False) -> np.ndarray:
    """Crop the data preprocessor's padding and resize to ``ori_shape``.

    Args:
        probs (Tensor): (L, H, W) level probabilities of one padded input.
        meta (dict): The sample's metainfo (``img_padding_size`` /
            ``padding_size`` and ``ori_shape``).

    Returns:
        np.ndarray: (L, H0, W0) float32 probabilities.
    """
    h, w = probs.shape[-2:]
    left, right, top, bottom = meta.get(
        'img_padding_size', meta.get('padding_size', [0, 0, 0, 0]))
    probs = probs[:, top:h - bottom, left:w - right]
    if meta.get('flip', False):
        dims = (2, ) if meta.get('flip_direction') == 'horizontal' else (1, )
        probs = probs.flip(dims=dims)
    ori = tuple(meta['ori_shape'][:2])
    if tuple(probs.shape[-2:]) != ori:
        probs = F.interpolate(probs[None], size=ori, mode='bilinear',
                              align_corners=align_corners)[0]
    return probs.float().cpu().numpy()


def write_mask(path: str, mask: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    ok, buf = cv2.imencode('.png', mask.astype(np.uint8) * 255)
    if not ok:
        raise OSError(f'cannot encode {path}')
    buf.tofile(path)


def mine(model, dataset, pipeline, out: str, thr: float,
         batch_size: int = 4) -> dict:
    """Write E_p/H_p of every labeled sample of ``dataset``; return stats."""
    from bus_mm.models.segmentors.unet_plus_plus import curriculum_masks
    from bus_mm.datasets.mask_io import read_union_mask
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    labeled = [i for i in infos if i.get('labeled', True) and i['mask_paths']]
    skipped = len(infos) - len(labeled)
    if not labeled:
        raise SystemExit('the dataset part has no labeled image to mine')
    ids, per_image = [], []
    num_empty_gt = num_empty_easy = num_empty_hard = 0
    bar = ProgressBar(len(labeled))
    for start in range(0, len(labeled), batch_size):
        chunk = labeled[start:start + batch_size]
        batch = pseudo_collate([pipeline(copy.deepcopy(i)) for i in chunk])
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            probs = model.predict_levels(data['inputs'])
        for k, (info, sample) in enumerate(zip(chunk, data['data_samples'])):
            level = level_probs_at_original_size(probs[k], sample.metainfo,
                                                  model.align_corners)
            gt = read_union_mask(info['mask_paths'], img_path=info['img_path'],
                                 img_shape=level.shape[-2:])
            easy, hard = curriculum_masks(level, gt, thr)
            sid = info['sample_id']
            write_mask(osp.join(out, 'easy', sid + '.png'), easy)
            write_mask(osp.join(out, 'hard', sid + '.png'), hard)
            ids.append(sid)
            area = int(gt.sum())
            if area == 0:
                num_empty_gt += 1
            else:
                shares = lesion_shares(easy, hard, gt)
                per_image.append(dict(sample_id=sid, lesion_pixels=area,
                                      **shares))
                num_empty_easy += int(not easy.any())
                num_empty_hard += int(not hard.any())
            bar.update()
    print()
    shares = share_summary(per_image)
    mean = {k: (v['mean'] if v else None) for k, v in shares.items()}
    return dict(
        num_images=len(ids),
        num_skipped_unlabeled=skipped,
        num_empty_gt=num_empty_gt,
        num_lesion_images_with_empty_easy=num_empty_easy,
        num_lesion_images_with_empty_hard=num_empty_hard,
        mean_easy_fraction_of_gt=mean['easy'],
        mean_hard_fraction_of_gt=mean['hard'],
        mean_missed_fraction_of_gt=mean['missed'],
        shares=shares,
        per_image=per_image,
        sample_ids=ids)


def lesion_shares(easy: np.ndarray, hard: np.ndarray,
                  gt: np.ndarray) -> dict:
    """Shares of one lesion in ``E_p``, ``H_p`` and missed by both.

    Args:
        easy (np.ndarray): ``E_p`` (bool or 0/1), (H, W).
        hard (np.ndarray): ``H_p``, (H, W).
        gt (np.ndarray): Ground truth with at least one lesion pixel.

    Returns:
        dict: ``easy``, ``hard``, ``missed`` (fractions of the GT area that
        sum to 1).
    """
    gt = gt.astype(bool)
    area = int(gt.sum())
    if area == 0:
        raise ValueError('lesion_shares needs a ground truth with a lesion')
    e = int((easy.astype(bool) & gt).sum())
    h = int((hard.astype(bool) & gt & ~easy.astype(bool)).sum())
    return dict(easy=e / area, hard=h / area, missed=(area - e - h) / area)


def share_summary(per_image: list) -> dict:
    """``{easy|hard|missed: {mean, median, min, max}}`` over lesion images
    (``None`` entries when there is none)."""
    out = {}
    for key in ('easy', 'hard', 'missed'):
        v = np.array([r[key] for r in per_image], dtype=float)
        out[key] = None if not len(v) else dict(
            mean=float(v.mean()), median=float(np.median(v)),
            min=float(v.min()), max=float(v.max()))
    return out


def build_val_dataset(cfg):
    """The val dataloader's dataset (its own split part) with the test
    pipeline minus annotation loaders, as :func:`build_mining_dataset`."""
    from mmseg.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.val_dataloader.dataset)
    if 'pipeline' not in ds_cfg:
        raise SystemExit(f'{cfg.filename}: val_dataloader.dataset has no '
                         'pipeline; pass --no-teacher-val')
    ds_cfg.pipeline = []
    dataset = DATASETS.build(ds_cfg)
    return dataset, build_inference_pipeline(cfg)


def teacher_val_iou(model, dataset, pipeline, batch_size: int = 4) -> dict:
    """The teacher's per-image mean IoU on ``dataset`` (BUSMetric's rule),
    at its prediction level (``test_cfg.level``) and at every level, scored
    at the original image size.

    Returns:
        dict: ``IoU`` (prediction level), ``Dice``, ``level``,
        ``level_IoU`` (list, level 1 first), ``num_images``, ``split_part``.
    """
    from bus_mm.datasets.mask_io import read_union_mask
    from bus_mm.evaluation.bus_metric import confusion_counts, summarize
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    infos = [i for i in infos if i.get('labeled', True) and i['mask_paths']]
    if not infos:
        raise SystemExit("the val part has no labeled image to score the "
                         'teacher on; pass --no-teacher-val')
    counts = None
    for start in range(0, len(infos), batch_size):
        chunk = infos[start:start + batch_size]
        batch = pseudo_collate([pipeline(copy.deepcopy(i)) for i in chunk])
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            probs = model.predict_levels(data['inputs'])
        if counts is None:
            counts = [[] for _ in range(probs.shape[1])]
        for k, (info, sample) in enumerate(zip(chunk, data['data_samples'])):
            level = level_probs_at_original_size(probs[k], sample.metainfo,
                                                  model.align_corners)
            gt = read_union_mask(info['mask_paths'], img_path=info['img_path'],
                                 img_shape=level.shape[-2:])
            for lv in range(level.shape[0]):
                pred = (level[lv] > model.threshold).astype(np.uint8)
                counts[lv].append(confusion_counts(pred, gt, None))
    levels = [summarize(c) for c in counts]
    pick = int(model.test_cfg.get('level', len(levels)))
    return dict(IoU=levels[pick - 1]['IoU'], Dice=levels[pick - 1]['Dice'],
                level=pick, level_IoU=[lv['IoU'] for lv in levels],
                num_images=len(infos),
                split_part=getattr(dataset, 'split_part', None))


def student_val_iou(work_dir: str) -> float:
    """The best val IoU of the student's Model-1 run (``--student-work-dir``).

    Raises:
        SystemExit: Naming the work dir and the options when it holds no val
            record.
    """
    try:
        return best_val_iou(work_dir)
    except SystemExit as e:
        raise SystemExit(f'--student-work-dir {e}; or use --student-iou') \
            from None


def teacher_warning(teacher_iou: Optional[float],
                    student_iou: Optional[float]) -> Optional[str]:
    """A warning when the teacher scores below the student's Model 1."""
    if teacher_iou is None or student_iou is None:
        return None
    if teacher_iou >= student_iou:
        return None
    return (f"WARNING: the U-Net++ teacher's val IoU {teacher_iou:.3f} is "
            f"below the student's Model-1 val IoU {student_iou:.3f}: E_p/H_p "
            'come from a weaker model than the one they guide. Train the '
            'teacher longer (train_cfg.max_iters) or wider (model.channels) '
            '(--cfg-options of prepare_curriculum.py, --teacher-cfg-options of '
            'cross_val.py).')


def format_shares(shares: dict) -> str:
    """One line: mean (min-max) share of the lesion per part."""
    def one(key):
        v = shares.get(key)
        if not v:
            return f'{key} n/a'
        return (f'{key} {v["mean"]:.3f} (median {v["median"]:.3f}, '
                f'{v["min"]:.3f}-{v["max"]:.3f})')
    return ', '.join(one(k) for k in ('easy', 'hard', 'missed'))


def main(argv=None):
    args = parse_args(argv)
    options = parse_cfg_options(args.cfg_options)
    cfg = load_config(args.config, options, osp.join(args.out, 'unetpp'))
    if cfg.model.get('type') != 'UNetPlusPlus':
        raise SystemExit(
            f'{args.config} builds {cfg.model.get("type")}, not a U-Net++ '
            'teacher (model.type=UNetPlusPlus); use e.g. '
            'configs/taichinet/unetpp_busi-224.py')
    student_iou = args.student_iou
    if args.student_work_dir:  # before anything is written or trained
        student_iou = student_val_iou(args.student_work_dir)
    check_out_dir(args.out, args.overwrite or args.resume)
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = train_teacher(args.config, osp.join(args.out, 'unetpp'),
                                   args.cfg_options, args.overwrite,
                                   fast_path_argv(args), args.resume)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = build_teacher(cfg, checkpoint, device)
    dataset, pipeline = build_mining_dataset(cfg, args.split_part)
    print(f'mining E_p/H_p of {len(dataset)} images ({args.split_part} part) '
          f'with {checkpoint}, thr={args.thr}')
    start = time.perf_counter()
    stats = mine(model, dataset, pipeline, args.out, args.thr,
                 args.batch_size)
    teacher_val = None
    if not args.no_teacher_val:
        val_set, val_pipeline = build_val_dataset(cfg)
        teacher_val = teacher_val_iou(model, val_set, val_pipeline,
                                      args.batch_size)
    warning = teacher_warning(teacher_val and teacher_val['IoU'],
                              student_iou)
    meta = dict(
        config=args.config,
        cfg_options=args.cfg_options or [],
        checkpoint=checkpoint,
        thr=args.thr,
        split_part=args.split_part,
        dataset=cfg.train_dataloader.dataset.get('type'),
        data_root=cfg.train_dataloader.dataset.get('data_root'),
        split=dataset.split_spec if not isinstance(
            dataset.split_spec, dict) else dict(dataset.split_spec),
        levels=int(getattr(model, 'depth', 0)),
        easy_rule='E_p = (level 1 > thr) & GT',
        hard_rule=f'H_p = (level {int(getattr(model, "depth", 0))} > thr) & '
        'GT & ~E_p',
        time=time.strftime('%Y-%m-%d %H:%M:%S'),
        teacher_val=teacher_val,
        student_val_IoU=student_iou,
        student_work_dir=args.student_work_dir,
        teacher_warning=warning,
        **stats)
    with open(osp.join(args.out, META_FILE), 'w') as f:
        json.dump(meta, f, indent=1)
    print(f'{stats["num_images"]} images in '
          f'{time.perf_counter() - start:.1f} s '
          f'(skipped {stats["num_skipped_unlabeled"]} unlabeled, '
          f'{stats["num_empty_gt"]} without a lesion); share of each lesion: '
          + format_shares(stats['shares']))
    if teacher_val is not None:
        print(f"teacher val IoU {teacher_val['IoU']:.3f} (level "
              f"{teacher_val['level']}, {teacher_val['num_images']} "
              f"{teacher_val['split_part']} images; per level "
              + ', '.join(f'{v:.3f}' for v in teacher_val['level_IoU'])
              + ')' + ('' if student_iou is None else
                       f"; student's Model-1 val IoU {student_iou:.3f}"))
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f'masks in {osp.join(args.out, "easy")} and '
          f'{osp.join(args.out, "hard")}; use LoadCurriculumMasks('
          f"curriculum_dir='{args.out}')")
    return meta


if __name__ == '__main__':
    main()
