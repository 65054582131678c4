"""fp32 vs bf16 vs bf16 + channels-last, training and inference, for the
models that CPU users train: ``bench.py --sections fastpath`` on its own.

Example::

    python tools/analysis_tools/bench_fastpath.py
    python tools/analysis_tools/bench_fastpath.py --device all --iters 5 \\
        --out work_dirs/bench/fastpath.json

Every option after the tool's name is passed to
``tools/analysis_tools/bench.py`` (``--device``, ``--quick``, ``--iters``,
``--warmup``, ``--size``, ``--threads``, ``--out``, ...; see its ``--help``).
The section itself is :func:`bus_mm.apis.bench_fastpath`: for the ASSGAN
phantom demo, TaiChiNet cpu128 and U-Net cpu128 it times one training
iteration and one inference forward in each mode and derives the speed-ups
and whether channels-last pays.
"""
import argparse
import os.path as osp
import subprocess
import sys

BENCH = osp.join(osp.dirname(osp.abspath(__file__)), 'bench.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark the fast path (fp32 / bf16 / channels-last) '
        'of the CPU models: bench.py --sections fastpath',
        epilog='Other options are those of tools/analysis_tools/bench.py.')
    return parser.parse_known_args(argv)


def main(argv=None) -> int:
    _, rest = parse_args(argv)
    if '--sections' in rest:
        raise SystemExit('bench_fastpath.py runs the fastpath section only; '
                         'use tools/analysis_tools/bench.py for --sections')
    return subprocess.call([sys.executable, BENCH, '--sections', 'fastpath',
                            *rest])


if __name__ == '__main__':
    sys.exit(main())
