"""Count the parameters of the models of one or more configs (no data needed).

Example::

    python tools/analysis_tools/count_params.py \\
        configs/taichinet/taichinet_ablation-model*_busi-224.py \\
        configs/taichinet/taichinet_busi-224.py

prints one row per config: the model type (and TaiChiNet ablation), the total
and trainable parameter counts, millions, and for TaiChiNet's Table I rows the
paper's count and the relative difference.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from bus_mm.apis import count_params


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count model parameters of configs')
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, xxx=yyy')
    return parser.parse_args(argv)


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
