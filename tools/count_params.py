"""Count the parameters of the models of one or more configs (no data needed).

Example::

    python tools/count_params.py \\
        configs/taichinet/taichinet_ablation-model*_busi-224.py \\
        configs/taichinet/taichinet_busi-224.py

prints one row per config: the model type (and TaiChiNet ablation), the total
and trainable parameter counts, millions, and for TaiChiNet's Table I rows the
paper's count and the relative difference.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import DefaultScope, init_default_scope  # noqa: E402

# TaiChiNet Table I "Params" column (millions), by ablation preset.
TABLE_I = dict(model1=8.64, model2=17.28, model3=17.28, model4=18.33,
               model5=17.28, model6=18.33, model7=18.33, taichinet=18.33)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count model parameters of configs')
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, xxx=yyy')
    return parser.parse_args(argv)


def count_params(config, cfg_options=None) -> dict:
    """Build the model of ``config`` (a path or Config) and count parameters.

    Returns:
        dict: ``config``, ``model`` (type), ``ablation`` (TaiChiNet preset or
        ''), ``total``, ``trainable``, ``reference_m`` (Table I millions or
        None) and ``diff`` (relative difference to it or None).
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ValueError(f'{cfg.filename}: no `model` in the config')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    import bus_mm  # noqa: F401  registers the bus_mm modules
    from mmseg.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.pop('pretrained', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmseg')):
        model = MODELS.build(model_cfg)
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    ablation = getattr(model, 'ablation', '') or ''
    ref = None
    if type(model).__name__ == 'TaiChiNet':
        net = model.backbone_p
        # only Fig. 3's sub-U-Net (32-64-128-256-512) is Table I's model
        if net.base_channels == 32 and len(net.encoder) == 5:
            ref = TABLE_I.get(ablation)
    return dict(config=cfg.filename if isinstance(config, Config) else config,
                model=type(model).__name__, ablation=ablation, total=total,
                trainable=trainable, reference_m=ref,
                diff=None if ref is None else total / (ref * 1e6) - 1.0)


def format_table(rows) -> str:
    header = ('config', 'model', 'params', 'M', 'trainable', 'Table I',
              'diff')
    lines = [header]
    for r in rows:
        name = r['model'] + (f'({r["ablation"]})' if r['ablation'] else '')
        lines.append((osp.basename(r['config']), name, f'{r["total"]:,}',
                      f'{r["total"] / 1e6:.2f}M', f'{r["trainable"]:,}',
                      '' if r['reference_m'] is None else
                      f'{r["reference_m"]:.2f}M',
                      '' if r['diff'] is None else f'{100 * r["diff"]:+.2f}%'))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = []
    for k, row in enumerate(lines):
        out.append('  '.join(c.ljust(w) if i < 2 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))))
        if k == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


def main(argv=None):
    args = parse_args(argv)
    missing = [c for c in args.configs if not osp.isfile(c)]
    if missing:
        raise SystemExit(f'config file(s) not found: {", ".join(missing)}')
    rows = [count_params(c, args.cfg_options) for c in args.configs]
    print(format_table(rows))
    return rows


if __name__ == '__main__':
    main()
