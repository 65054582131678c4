"""Check that a killed and resumed run ends with the uninterrupted run's weights.

Runs ``tools/train.py CONFIG`` three times into ``WORK_DIR``:

1. ``full``: uninterrupted;
2. ``killed``: the same command, killed with SIGKILL as soon as its log shows
   training iteration ``--kill-at`` (or later);
3. ``killed`` again with ``--resume``,

then compares the final checkpoints (every tensor of ``state_dict``, and of
the optimizer state) and prints the largest absolute difference. Exits 0 when
it is at most ``--tol`` (default 0: bit-exact), 1 otherwise.

Example::

    python tools/misc/check_resume.py configs/assgan/assgan_phantom-demo.py \\
        --work-dir work_dirs/check_resume/assgan --kill-at 400
"""
import argparse
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
ITER_RE = re.compile(r'Iter\(train\)\s*\[\s*(\d+)/')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--work-dir', required=True,
                   help='gets full/ and killed/ (both replaced)')
    p.add_argument('--kill-at', type=int, required=True,
                   help='kill the second run once its log reaches this '
                   'training iteration')
    p.add_argument('--tol', type=float, default=0.0,
                   help='largest accepted |weight difference| (default 0)')
    p.add_argument('--amp', action='store_true', help='pass --amp')
    p.add_argument('--train-args', nargs=argparse.REMAINDER, default=[],
                   help='further tools/train.py arguments (last on the line, '
                   'e.g. --train-args --data-root D --cfg-options a=b)')
    return p.parse_args(argv)


def _last_checkpoint(work_dir):
    from bus_mm.engine.run_guard import find_checkpoint
    return find_checkpoint(work_dir, 'last')


def _tensors(obj, prefix=''):
    import torch
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _tensors(v, f'{prefix}.{k}' if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _tensors(v, f'{prefix}.{i}')


def max_difference(path_a, path_b):
    """Largest |a - b| over the weights and over the optimizer states."""
    import torch
    import bus_mm  # noqa: F401  (checkpoint allow-list)
    a = torch.load(path_a, map_location='cpu', weights_only=True)
    b = torch.load(path_b, map_location='cpu', weights_only=True)
    out = {}
    for key in ('state_dict', 'optimizer'):
        ta, tb = dict(_tensors(a.get(key, {}))), dict(_tensors(b.get(key, {})))
        if ta.keys() != tb.keys():
            raise SystemExit(f'{key}: the checkpoints hold different tensors '
                             f'({sorted(ta.keys() ^ tb.keys())[:5]}...)')
        out[key] = max([(ta[k].double() - tb[k].double()).abs().max().item()
                        for k in ta if ta[k].numel()] or [0.0])
    out['iter'] = (a['meta'].get('iter'), b['meta'].get('iter'))
    return out


def main(argv=None):
    args = parse_args(argv)
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    base = [sys.executable, osp.join(TOOLS, 'train.py'), args.config]
    extra = (['--amp'] if args.amp else []) + args.train_args
    full, killed = (osp.join(args.work_dir, d) for d in ('full', 'killed'))
    t0 = time.time()
    subprocess.run(base + ['--work-dir', full, '--overwrite'] + extra,
                   check=True, env=env, stdout=subprocess.DEVNULL)
    t_full = time.time() - t0
    proc = subprocess.Popen(base + ['--work-dir', killed, '--overwrite'] + extra,
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    killed_at = None
    for line in proc.stdout:
        m = ITER_RE.search(line)
        if m and int(m.group(1)) >= args.kill_at:
            proc.send_signal(signal.SIGKILL)
            killed_at = int(m.group(1))
            break
    proc.wait()
    if killed_at is None:
        raise SystemExit(f'the second run ended (rc {proc.returncode}) before '
                         f'iteration {args.kill_at}; lower --kill-at')
    with open(osp.join(killed, 'last_checkpoint')) as f:
        resumed_from = f.read().strip()
    t0 = time.time()
    subprocess.run(base + ['--work-dir', killed, '--resume'] + extra,
                   check=True, env=env, stdout=subprocess.DEVNULL)
    t_resume = time.time() - t0
    diff = max_difference(_last_checkpoint(full), _last_checkpoint(killed))
    report = dict(config=args.config, killed_at_iter=killed_at,
                  resumed_from=resumed_from,
                  max_abs_weight_diff=diff['state_dict'],
                  max_abs_optimizer_state_diff=diff['optimizer'],
                  final_iter=diff['iter'], seconds_full=round(t_full, 1),
                  seconds_resumed_part=round(t_resume, 1))
    print(json.dumps(report, indent=1))
    with open(osp.join(args.work_dir, 'check_resume.json'), 'w') as f:
        json.dump(report, f, indent=1)
    ok = diff['state_dict'] <= args.tol
    print('OK: the resumed run matches' if ok else
          f'MISMATCH: max |weight diff| {diff["state_dict"]} > {args.tol}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
