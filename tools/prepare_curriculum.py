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
    python tools/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py \\
        --out work_dirs/curriculum/busi_fold0
    # with a trained teacher; fold 2 of the 5-fold split
    python tools/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py \\
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
"""
import argparse
import copy
import json
import os
import os.path as osp
import shutil
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.dataset import Compose, pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadBUSAnnotations',
                      'LoadCurriculumMasks')
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
        '--cfg-options', nargs='+', default=None,
        help='override config settings, xxx=yyy format (as tools/train.py); '
        'also used to train the teacher')
    args = parser.parse_args(argv)
    if not 0.0 < args.thr < 1.0:
        parser.error(f'--thr must lie in (0, 1), got {args.thr}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
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


def train_teacher(config: str, work_dir: str, options, overwrite: bool) -> str:
    """Train the U-Net++ with tools/train.py; return its checkpoint."""
    from tools.train import main as train_main
    argv = [config, '--work-dir', work_dir]
    if overwrite:
        argv.append('--overwrite')
    if options:
        argv += ['--cfg-options', *options]
    print(f'training the U-Net++ teacher: tools/train.py {" ".join(argv)}')
    train_main(argv)
    from bus_mm.engine.run_guard import find_checkpoint
    try:
        return find_checkpoint(work_dir, 'best')
    except FileNotFoundError:
        raise SystemExit(f'no checkpoint found in {work_dir!r} after '
                         'training') from None


def build_teacher(cfg, checkpoint: str, device: str):
    """Build the config's model, load ``checkpoint`` and check it is a teacher.

    (mmseg's ``init_model`` is not used: it passes ``pretrained=None``, which
    only EncoderDecoder-style segmentors accept.)
    """
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    if not osp.isfile(checkpoint):
        raise SystemExit(f'checkpoint not found: {checkpoint}')
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('pretrained', None)
    model_cfg['train_cfg'] = None
    model = MODELS.build(model_cfg)
    if not callable(getattr(model, 'predict_levels', None)):
        raise SystemExit(
            f'{cfg.filename}: the model ({type(model).__name__}) has no '
            '`predict_levels`; prepare_curriculum.py needs a U-Net++ teacher '
            'config (model.type=UNetPlusPlus), e.g. '
            'configs/taichinet/unetpp_busi-224.py')
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


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
    test_pipeline = cfg.get('test_pipeline') or \
        cfg.test_dataloader.dataset.pipeline
    ds_cfg.pipeline = []
    ds_cfg.split_part = split_part
    dataset = DATASETS.build(ds_cfg)
    steps = [t for t in test_pipeline if t['type'] not in ANNOTATION_LOADERS]
    return dataset, Compose(steps)


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
    easy_frac, hard_frac, ids = [], [], []
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
                easy_frac.append(easy.sum() / area)
                hard_frac.append(hard.sum() / area)
                num_empty_easy += int(not easy.any())
                num_empty_hard += int(not hard.any())
            bar.update()
    print()
    mean = (lambda v: float(np.mean(v)) if v else None)
    return dict(
        num_images=len(ids),
        num_skipped_unlabeled=skipped,
        num_empty_gt=num_empty_gt,
        num_lesion_images_with_empty_easy=num_empty_easy,
        num_lesion_images_with_empty_hard=num_empty_hard,
        mean_easy_fraction_of_gt=mean(easy_frac),
        mean_hard_fraction_of_gt=mean(hard_frac),
        mean_missed_fraction_of_gt=(None if not easy_frac else
                                    1.0 - mean(easy_frac) - mean(hard_frac)),
        sample_ids=ids)


def main(argv=None):
    args = parse_args(argv)
    from tools.train import load_config
    options = parse_cfg_options(args.cfg_options)
    cfg = load_config(args.config, options, osp.join(args.out, 'unetpp'))
    if cfg.model.get('type') != 'UNetPlusPlus':
        raise SystemExit(
            f'{args.config} builds {cfg.model.get("type")}, not a U-Net++ '
            'teacher (model.type=UNetPlusPlus); use e.g. '
            'configs/taichinet/unetpp_busi-224.py')
    check_out_dir(args.out, args.overwrite)
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = train_teacher(args.config, osp.join(args.out, 'unetpp'),
                                   args.cfg_options, args.overwrite)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = build_teacher(cfg, checkpoint, device)
    dataset, pipeline = build_mining_dataset(cfg, args.split_part)
    print(f'mining E_p/H_p of {len(dataset)} images ({args.split_part} part) '
          f'with {checkpoint}, thr={args.thr}')
    start = time.perf_counter()
    stats = mine(model, dataset, pipeline, args.out, args.thr,
                 args.batch_size)
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
        **stats)
    with open(osp.join(args.out, META_FILE), 'w') as f:
        json.dump(meta, f, indent=1)
    fmt = (lambda v: 'n/a' if v is None else f'{v:.3f}')
    print(f'{stats["num_images"]} images in '
          f'{time.perf_counter() - start:.1f} s '
          f'(skipped {stats["num_skipped_unlabeled"]} unlabeled); mean '
          'fraction of the lesion: easy '
          f'{fmt(stats["mean_easy_fraction_of_gt"])}, hard '
          f'{fmt(stats["mean_hard_fraction_of_gt"])}, missed '
          f'{fmt(stats["mean_missed_fraction_of_gt"])}')
    print(f'masks in {osp.join(args.out, "easy")} and '
          f'{osp.join(args.out, "hard")}; use LoadCurriculumMasks('
          f"curriculum_dir='{args.out}')")
    return meta


if __name__ == '__main__':
    main()
