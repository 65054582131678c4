"""Sweep the lesion-probability threshold of finished cross-validation folds.

Is a model that gains precision and loses sensitivity better, or only at
another point of the same operating curve? For every finished fold of each
``tools/cross_val.py`` work dir, this loads the fold's test checkpoint,
predicts its validation and test images once, and reports the test Dice / IoU
at the model's own threshold, at the threshold that is best on validation, and
at the best threshold on the test images (the oracle). Each fold gets a
``threshold_sweep.json``; ``tools/analysis_tools/paired_diff.py`` reads its
figures as the metrics ``Dice@val_t``, ``IoU@val_t``, ``Dice@oracle_t``, ...
(see ``bus_mm/evaluation/threshold_sweep.py``).

Example::

    python tools/analysis_tools/threshold_sweep.py \\
        work_dirs/power/{model1,tc-masked}-s0
    python tools/analysis_tools/paired_diff.py \\
        work_dirs/power/{model1,tc-masked}-s0 \\
        --ref model1 --metrics Dice Dice@val_t Dice@oracle_t
"""
import argparse
import glob
import json
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmengine.utils import ProgressBar

from bus_mm.apis import load_config
from bus_mm.evaluation.threshold_sweep import (
    OPERATING_POINTS, config_threshold, default_thresholds, image_scores,
    lesion_probability, summarize_sweep)

FOLD_DONE = 'cv_fold_metrics.json'
OUT_NAME = 'threshold_sweep.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Lesion-threshold sweep of cross-validation folds')
    parser.add_argument('runs', nargs='+', help='tools/cross_val.py work '
                        'dirs (or single fold_<k> dirs)')
    parser.add_argument('--thresholds', type=float, nargs='+', default=None,
                        help='lesion when p > t (default: 0.10, 0.15, ..., '
                        "0.90; must include the model's own threshold)")
    parser.add_argument('--select-by', choices=['Dice', 'IoU'],
                        default='Dice', help='what the validation choice '
                        'and the oracle maximise (default: Dice)')
    parser.add_argument('--force', action='store_true', help='sweep again '
                        'folds that already have a threshold_sweep.json')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument('--data-root', help='dataset folder for every '
                        "dataset (default: the fold configs' data_root)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help="override the fold configs' settings "
                        '(e.g. moved data: the dataloaders\' data_root)')
    return parser.parse_args(argv)


def fold_dirs(path: str):
    """Finished fold dirs of a run dir, or ``[path]`` for a fold dir."""
    if not osp.isdir(path):
        raise SystemExit(f'{path}: not a folder')
    if osp.isfile(osp.join(path, FOLD_DONE)):
        return [path]
    folds = sorted(osp.dirname(p) for p in
                   glob.glob(osp.join(path, 'fold_*', FOLD_DONE)))
    if not folds:
        raise SystemExit(f'{path}: no finished fold (no fold_*/{FOLD_DONE}); '
                         'give a tools/cross_val.py work dir')
    return folds


def fold_config(fold_dir: str) -> str:
    configs = glob.glob(osp.join(fold_dir, '*.py'))
    if len(configs) != 1:
        raise SystemExit(f'{fold_dir}: expected the one config cross_val.py '
                         f'copies there, found {len(configs)} .py files')
    return configs[0]


def predict_scores(model, loader_cfg, thresholds, device, what):
    """``(images, T, 2)`` per-image Dice / IoU of one dataloader."""
    loader_cfg = dict(loader_cfg, num_workers=0, persistent_workers=False)
    loader = Runner.build_dataloader(loader_cfg)
    scores, bar = [], ProgressBar(len(loader.dataset))
    with torch.no_grad():
        for batch in loader:
            for s in model.test_step(batch):
                if 'gt_sem_seg' not in s:
                    raise SystemExit(f'{what}: an image has no ground truth; '
                                     'the sweep needs labeled val/test images')
                prob = lesion_probability(model, s.seg_logits.data.cpu())
                scores.append(image_scores(prob, s.gt_sem_seg.data.cpu(),
                                           thresholds))
                bar.update()
    sys.stdout.write('\n')
    if not scores:
        raise SystemExit(f'{what}: no images')
    return np.stack(scores)


def sweep_fold(fold_dir: str, args) -> dict:
    out = osp.join(fold_dir, OUT_NAME)
    with open(osp.join(fold_dir, FOLD_DONE)) as f:
        rec = json.load(f)
    ckpt = rec.get('checkpoint')
    if osp.isfile(out) and not args.force:
        with open(out) as f:
            old = json.load(f)
        if old.get('checkpoint') == ckpt:
            print(f'{fold_dir}: {OUT_NAME} exists (--force sweeps again)')
            return old
    if not ckpt or not osp.isfile(ckpt):
        raise SystemExit(f'{fold_dir}/{FOLD_DONE}: its test checkpoint '
                         f'{ckpt!r} is missing')
    config = fold_config(fold_dir)
    cfg = load_config(config, args.cfg_options, fold_dir, args.data_root)
    if cfg.model.get('type') == 'ASSGAN':
        raise SystemExit(f'{config}: ASSGAN predicts with a generator pair; '
                         'sweep its generators\' own configs instead')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    from mmseg.registry import MODELS
    model = MODELS.build(cfg.model)
    load_checkpoint(model, ckpt, map_location='cpu', logger='silent')
    model.to(args.device).eval()
    thresholds = args.thresholds or default_thresholds()
    channels = 1 if hasattr(model, 'threshold') else \
        int(getattr(model.decode_head, 'out_channels', 2))
    own = config_threshold(model, channels)
    if not any(abs(t - own) < 1e-9 for t in thresholds):
        raise SystemExit(f'--thresholds {thresholds} do not contain the '
                         f"model's own threshold {own} ({config}); add it")
    print(f'{fold_dir}: val')
    val = predict_scores(model, cfg.val_dataloader, thresholds, args.device,
                         f'{config} val_dataloader')
    print(f'{fold_dir}: test')
    test = predict_scores(model, cfg.test_dataloader, thresholds,
                          args.device, f'{config} test_dataloader')
    res = summarize_sweep(val.mean(0), test.mean(0), thresholds, own,
                          args.select_by)
    res.update(checkpoint=ckpt, config=config, fold=rec.get('fold'),
               num_val=len(val), num_test=len(test))
    logged = rec.get('metrics', {}).get('model', {}).get('Dice')
    if logged is not None and abs(logged - res['metrics']['Dice@config_t']) \
            > 1e-4:
        print(f'WARNING {fold_dir}: Dice at the model\'s threshold '
              f'{res["metrics"]["Dice@config_t"]:.4f} differs from '
              f'{FOLD_DONE} ({logged:.4f}): were the data or config changed?')
    with open(out, 'w') as f:
        json.dump(res, f, indent=1)
    return res


def report(results) -> str:
    lines = ['| run | fold | own t | val-chosen t | oracle t | Dice at own t '
             '| Dice at val-chosen t | Dice at oracle t |',
             '|---|---|---|---|---|---|---|---|']
    for run, rows in results.items():
        for r in rows:
            c, m = r['chosen'], r['metrics']
            lines.append(f'| {run} | {r["fold"]} | ' + ' | '.join(
                f'{c[p]:.2f}' for p in OPERATING_POINTS) + ' | ' + ' | '.join(
                f'{100 * m[f"Dice@{p}"]:.1f}' for p in OPERATING_POINTS) +
                ' |')
        if len(rows) > 1:
            mean = [np.mean([r['metrics'][f'Dice@{p}'] for r in rows])
                    for p in OPERATING_POINTS]
            t = np.mean([r['chosen']['val_t'] for r in rows])
            lines.append(f'| {run} | mean | | {t:.2f} | | ' + ' | '.join(
                f'{100 * v:.1f}' for v in mean) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    torch.set_grad_enabled(False)
    results = {}
    for run in args.runs:
        results[osp.basename(osp.normpath(run))] = [
            sweep_fold(d, args) for d in fold_dirs(run)]
    print(report(results))
    return results


if __name__ == '__main__':
    main()
