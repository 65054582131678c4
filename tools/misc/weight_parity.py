"""Check that a code change leaves training bit for bit unchanged.

Trains each config family for a few iterations on the built-in phantoms
twice, once with the code of a reference commit (exported with
``git archive`` to a temporary folder) and once with the working tree, and
compares every weight and buffer of the final checkpoints. ASSGAN runs go
through both phases (the semi-supervised phase starts halfway).

Each pair names the config in the reference tree and the config in this
tree that expresses the same method (a refactor may rename configs)::

    python tools/misc/weight_parity.py --ref HEAD
    python tools/misc/weight_parity.py --ref 31979b5 --iters 8 \\
        --pair configs/assgan/assgan_phantom-demo.py=configs/assgan/assgan_phantom-demo_agree-cut.py

Exit status 0 when every pair is identical, 1 otherwise.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
A = 'configs/assgan/assgan_phantom-demo'
T = 'configs/taichinet'
# The shipped config families: (reference config, this tree's config,
# extra --cfg-options).
FAMILIES = [
    (f'{A}.py', f'{A}_agree-cut.py', []),
    (f'{A}_paper-gate.py', f'{A}_paper-gate.py', []),
    (f'{A}_2gen.py', f'{A}_2gen.py', []),
    (f'{A}_sup-only.py', f'{A}_sup-only.py', []),
    (f'{T}/unet_phantom-demo.py', f'{T}/unet_phantom-demo.py',
     ['model.ablation=model7']),
    (f'{T}/unetpp_phantom-demo.py', f'{T}/unetpp_phantom-demo.py', []),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Compare the weights a short training gives with the '
        'code of a reference commit and with the working tree.')
    parser.add_argument('--ref', default='HEAD',
                        help='reference commit (default: HEAD)')
    parser.add_argument('--pair', action='append', default=None,
                        metavar='REF_CONFIG=CONFIG',
                        help='a config pair (repeatable; default: every '
                        'shipped family)')
    parser.add_argument('--iters', type=int, default=6,
                        help='training iterations (default: 6; ASSGAN '
                        'switches phase at half)')
    parser.add_argument('--work-dir', default=None,
                        help='keep the runs here (default: a temp folder)')
    return parser.parse_args(argv)


def export_tree(ref: str, dst: str) -> None:
    """The files of commit ``ref`` in ``dst`` (git archive)."""
    os.makedirs(dst, exist_ok=True)
    archive = subprocess.run(['git', '-C', REPO, 'archive', ref],
                             check=True, capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', dst], input=archive, check=True)


def train(tree: str, config: str, work_dir: str, data: str, iters: int,
          extra) -> str:
    """Train ``config`` with the code of ``tree``; the last checkpoint."""
    opts = [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'default_hooks.checkpoint.interval={iters}',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False'] + list(extra)
    if 'assgan' in config and 'sup-only' not in config:
        opts.append(f'custom_hooks.1.semi_start={iters // 2}')
    train_py = osp.join(tree, 'tools', 'train.py')
    env = dict(os.environ, PYTHONPATH=tree, OMP_NUM_THREADS='1')
    cmd = [sys.executable, train_py, osp.join(tree, config), '--work-dir',
           work_dir, '--data-root', data, '--cfg-options'] + opts
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'training {config} in {tree} failed:\n'
                           f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return osp.join(work_dir, f'iter_{iters}.pth')


def compare(a: str, b: str) -> list:
    """Names of the weights and buffers that differ (or exist in one)."""
    sa = torch.load(a, map_location='cpu', weights_only=False)['state_dict']
    sb = torch.load(b, map_location='cpu', weights_only=False)['state_dict']
    # gate score banks are logged state, not weights
    skip = ('gate.',)
    keys = {k for k in set(sa) | set(sb) if not k.startswith(skip)}
    return sorted(k for k in keys if k not in sa or k not in sb
                  or not torch.equal(sa[k], sb[k]))


def main(argv=None) -> int:
    args = parse_args(argv)
    families = FAMILIES if not args.pair else [
        tuple(p.split('=', 1)) + ([], ) for p in args.pair]
    root = args.work_dir or tempfile.mkdtemp(prefix='weight_parity_')
    ref_tree = osp.join(root, 'ref_tree')
    export_tree(args.ref, ref_tree)
    data = osp.join(root, 'phantom')
    if not osp.isdir(data):
        subprocess.run([sys.executable, osp.join(
            REPO, 'tools', 'dataset_converters', 'make_phantoms.py'), data],
            check=True, capture_output=True)
    failed = 0
    for i, (ref_cfg, cfg, extra) in enumerate(families):
        ca = train(ref_tree, ref_cfg, osp.join(root, f'{i}_ref'), data,
                   args.iters, extra)
        cb = train(REPO, cfg, osp.join(root, f'{i}_new'), data, args.iters,
                   extra)
        diff = compare(ca, cb)
        status = 'identical' if not diff else \
            f'DIFFERENT ({len(diff)} tensors, e.g. {diff[:3]})'
        failed += bool(diff)
        print(f'{ref_cfg} @ {args.ref}  vs  {cfg}: {status}', flush=True)
    print(f'{len(families) - failed} of {len(families)} families identical '
          f'(runs in {root})')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
