"""Do bf16 autocast and channels-last change a trained model's masks?

Predicts the test split of CONFIG with CHECKPOINT in fp32 and in each fast
mode (fp32 + channels-last, bf16, bf16 + channels-last) and prints, per
mode, the share of pixels whose predicted class equals the fp32 one and the
test IoU of both. Example::

    python tools/analysis_tools/amp_parity.py configs/taichinet/unet_busi-cpu128.py \\
        work_dirs/unet/best_IoU_iter_600.pth --data-root data/BUSI

bf16 on a CPU without native bf16 is emulated (slow); ``--allow-emulated``
measures it anyway (only the agreement is meaningful then, not the speed).
"""
import argparse
import json

import torch
from mmengine.config import DictAction

from bus_mm.apis import init_model, load_config

MODES = ('fp32+cl', 'bf16', 'bf16+cl')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='fp32 vs fast-path masks')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', help="dataset folder (default: the "
                        "config's data_root)")
    parser.add_argument('--modes', nargs='+', default=list(MODES),
                        choices=MODES)
    parser.add_argument('--allow-emulated', action='store_true',
                        help='measure bf16 also on a CPU without native bf16')
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def predict_all(model, loader, bf16: bool, channels_last: bool):
    """0/1 masks of every test image (a list of uint8 tensors) and their
    ground truths."""
    model.to(memory_format=torch.channels_last if channels_last else
             torch.contiguous_format)
    preds, gts = [], []
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16,
                                         enabled=bf16):
        for batch in loader:
            for out in model.test_step(batch):
                preds.append(out.pred_sem_seg.data[0].to(torch.uint8))
                gts.append(out.gt_sem_seg.data[0].to(torch.uint8))
    return preds, gts


def mean_iou(preds, gts) -> float:
    ious = []
    for p, g in zip(preds, gts):
        union = ((p == 1) | (g == 1)).sum().item()
        inter = ((p == 1) & (g == 1)).sum().item()
        ious.append(1.0 if union == 0 else inter / union)
    return sum(ious) / len(ious)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import Runner
    from bus_mm.engine.optimizers.autocast_optim_wrapper import \
        cpu_supports_bf16
    if any(m.startswith('bf16') for m in args.modes) and \
            not cpu_supports_bf16() and not args.allow_emulated:
        raise SystemExit('this CPU has no native bf16; pass --allow-emulated '
                         'to measure the masks anyway, or --modes fp32+cl')
    cfg = load_config(args.config, args.cfg_options, data_root=args.data_root)
    # fp32, plain layout: the reference; predict_all switches per mode
    model = init_model(cfg, args.checkpoint, 'cpu', amp=False,
                       channels_last=False)
    loader = Runner.build_dataloader(cfg.test_dataloader)
    ref, gts = predict_all(model, loader, False, False)
    pixels = sum(p.numel() for p in ref)
    result = dict(config=args.config, checkpoint=args.checkpoint,
                  images=len(ref), pixels=pixels,
                  fp32=dict(IoU=mean_iou(ref, gts)))
    for mode in args.modes:
        preds, _ = predict_all(model, loader, mode.startswith('bf16'),
                               mode.endswith('+cl'))
        same = sum((p == r).sum().item() for p, r in zip(preds, ref))
        result[mode] = dict(agreement=same / pixels,
                            IoU=mean_iou(preds, gts))
        print(f'{mode:8s} pixels equal to fp32: {100 * same / pixels:.3f}%  '
              f'test IoU {result[mode]["IoU"]:.4f} (fp32 '
              f'{result["fp32"]["IoU"]:.4f}, {len(ref)} images)', flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
