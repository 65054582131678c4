"""Which score would tell good pseudo-labels from bad ones? (ASSGAN)

Loads a trained ASSGAN checkpoint, predicts every unlabeled training image
of its config with both generators (deterministic view: the train pipeline
without its random transforms) and scores each prediction four ways:

* ``d``: D's mean patch score (what D sees as in training); absent
  without D;
* ``agree``: IoU of the hard mask with the other generator's hard mask;
* ``certainty``: mean ``|2p - 1|`` over the image (how far from 0.5);
* ``area``: share of the image predicted as lesion.

Each score is compared with the true IoU of the hard mask against the
image's ground truth (the unlabeled images must have masks: phantoms,
busi-dev, a labeled set used as unlabeled): Spearman rho, AUROC for IoU >=
0.5, and the mean IoU of the upper half of the scores minus the lower half
(what a gate with gamma = 0.5 as a share would gain). The masks never reach
a model; nothing is trained.

Example::

    python tools/analysis_tools/gate_score_audit.py \\
        work_dirs/assgan_busi-cpu128_15pct/fold_0/assgan_busi-cpu128_15pct.py \\
        work_dirs/assgan_busi-cpu128_15pct/fold_0/iter_800.pth \\
        --csv work_dirs/score_audit_fold0.csv

Prints a table per generator; ``--json`` appends one line per generator.
"""
import argparse
import csv
import json
import os.path as osp
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import ProgressBar

from bus_mm.apis import load_config

SCORES = ('d', 'agree', 'certainty', 'area')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Audit candidate gate scores of a trained ASSGAN run '
        'against the true IoU of its unlabeled predictions')
    parser.add_argument('config', help='the run\'s config (e.g. the one '
                        'dumped in its work dir)')
    parser.add_argument('checkpoint', help='ASSGAN checkpoint (.pth)')
    parser.add_argument('--data-root', help='replace every dataset\'s '
                        'data_root (as tools/train.py)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--csv', help='write one row per image and '
                        'generator to this CSV')
    parser.add_argument('--json', help='append one summary line per '
                        'generator to this JSON-lines file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (key=value)')
    return parser.parse_args(argv)


def unlabeled_dataset_cfg(cfg) -> dict:
    """The unlabeled train dataset, with audit masks and a deterministic
    pipeline (the train pipeline minus its ``Random*`` transforms)."""
    from bus_mm.engine.config_walk import enable_gate_audit, loader_datasets
    enable_gate_audit(cfg)
    part = [d for k, d in loader_datasets(cfg)
            if k.startswith('train_dataloader')
            and d.get('split_part') == 'unlabeled'][0]
    part = dict(part)
    part['pipeline'] = [t for t in part['pipeline']
                        if not str(t.get('type', '')).startswith('Random')]
    return part


def score_table(rows: List[dict]) -> Dict[str, dict]:
    """rho / AUROC / upper-minus-lower-half IoU of each score in ``rows``."""
    from bus_mm.evaluation.gate_audit import GOOD_IOU, auroc
    from scipy.stats import spearmanr
    iou = np.array([r['iou'] for r in rows])
    out = {}
    for name in SCORES:
        s = np.array([r.get(name, np.nan) for r in rows], dtype=float)
        if np.isnan(s).all():
            continue
        top = s >= np.median(s)
        const = np.ptp(s) == 0 or np.ptp(iou) == 0
        out[name] = dict(
            rho=float('nan') if const else float(spearmanr(s, iou).statistic),
            auroc=auroc(s, iou >= GOOD_IOU),
            top_minus_bottom=float(iou[top].mean() - iou[~top].mean())
            if top.any() and (~top).any() else float('nan'))
    return out


def main(argv=None):
    args = parse_args(argv)
    from mmseg.registry import DATASETS, MODELS
    import bus_mm  # noqa: F401  (registers modules)
    from bus_mm.models.segmentors.assgan_generators import (
        lesion_prob, lesion_threshold, run_generator)
    from bus_mm.evaluation.gate_audit import mask_iou
    from bus_mm.models.gates import mask_agreement

    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint!r} not found')
    cfg = load_config(args.config, args.cfg_options, None, args.data_root)
    if cfg.model.get('type') != 'ASSGAN' or \
            cfg.model.get('generator_b') is None:
        raise SystemExit(f'{args.config}: the audit compares two ASSGAN '
                         'generators; this config has '
                         f'{cfg.model.get("type")} without generator_b')
    init_default_scope('mmseg')
    try:
        dataset = DATASETS.build(unlabeled_dataset_cfg(cfg))
    except ValueError as e:
        raise SystemExit(f'{args.config}: {e}') from None
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu',
                    logger='silent')
    model.eval()
    names = model.generator_names
    rows: List[dict] = []
    bar = ProgressBar(len(dataset))
    with torch.no_grad():
        for i in range(0, len(dataset), args.batch_size):
            idx = range(i, min(i + args.batch_size, len(dataset)))
            data = model.data_preprocessor(
                pseudo_collate([dataset[j] for j in idx]), False)
            x, samples = data['inputs'], data['data_samples']
            valid = torch.ones_like(x[:, :1])
            prob, thr = {}, {}
            for name in names:
                gen = model._gen(name)
                logits, _ = run_generator(gen, name, x, 0)
                prob[name] = lesion_prob(gen, logits, x.shape[-2:])
                thr[name] = lesion_threshold(gen)
            d_score = {}
            if model.discriminator is not None:  # D's mean patch score
                for name in names:
                    d_score[name] = model.discriminator(model.d_view(
                        prob[name], x, thr[name])).sigmoid().mean((1, 2, 3))
            for name in names:
                other = [n for n in names if n != name][0]
                mask = prob[name] > thr[name]
                agree = mask_agreement(mask, prob[other] > thr[other], valid,
                                       empty_score=1.0)
                gate = d_score.get(name)
                for k, sample in enumerate(samples):
                    gt = sample.gt_audit_seg.data[0].numpy() == 1
                    rows.append(dict(
                        sample_id=sample.metainfo.get('sample_id', ''),
                        generator=name,
                        iou=mask_iou(mask[k, 0].numpy(), gt),
                        d=float('nan') if gate is None else float(gate[k]),
                        agree=float(agree[k]),
                        certainty=float((2 * prob[name][k] - 1).abs().mean()),
                        area=float(mask[k].float().mean())))
            for _ in idx:
                bar.update()
    print()
    if args.csv:
        with open(args.csv, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(f'{len(dataset)} unlabeled images of {args.config}, '
          f'checkpoint {args.checkpoint}')
    print(f'{"generator":<12}{"score":<11}{"rho":>7}{"AUROC":>8}'
          f'{"top-bottom IoU":>16}')
    for name in names:
        sub = [r for r in rows if r['generator'] == name]
        table = score_table(sub)
        for score, fig in table.items():
            print(f'{name:<12}{score:<11}{fig["rho"]:>7.3f}'
                  f'{fig["auroc"]:>8.3f}'
                  f'{100 * fig["top_minus_bottom"]:>+15.1f}')
        if args.json:
            with open(args.json, 'a') as f:
                f.write(json.dumps(dict(
                    config=args.config, checkpoint=args.checkpoint,
                    generator=name, count=len(sub),
                    iou_mean=float(np.mean([r['iou'] for r in sub])),
                    scores=table)) + '\n')


if __name__ == '__main__':
    main()
