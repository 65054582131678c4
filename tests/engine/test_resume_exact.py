"""A run killed with SIGKILL and resumed with --resume ends with exactly the
weights of the uninterrupted run (real subprocesses of tools/train.py).

The ASSGAN demo config runs with one dataloader worker (augmentation in a
worker process), validation in between, the supervised -> semi-supervised
phase switch after the kill point, and the newest checkpoint truncated after
the kill, so the resume also has to fall back to the previous checkpoint.
"""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.tools.conftest import REPO
from tests.models.test_assgan import same

CONFIG = 'configs/assgan/assgan_phantom-demo.py'
OPTS = ['train_cfg.max_iters=8', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=3', 'default_hooks.curves=None',
        'custom_hooks.1.semi_start=5', 'custom_hooks.1.epoch_length=4',
        'model.gate.gamma=0.0']  # gamma 0: pseudo-labels flow after the switch


@pytest.fixture(scope='module')
def phantoms(tmp_path_factory):
    from bus_mm.datasets.phantom import make_phantom_dataset
    root = str(tmp_path_factory.mktemp('resume_phantom') / 'data')
    make_phantom_dataset(root, num_benign=20, num_malignant=10, num_normal=0,
                         size=(64, 64), seed=1)
    return root


def _cmd(work, root, *extra):
    return [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
            '--data-root', root, *extra, '--cfg-options', *OPTS]


def _env():
    return dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')


def _run(cmd):
    proc = subprocess.run(cmd, cwd=REPO, env=_env(), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def test_sigkill_then_resume_gives_identical_weights(phantoms, tmp_path):
    # the uninterrupted run goes alongside the one to kill (one thread each)
    full = str(tmp_path / 'full')
    full_log = tmp_path / 'full.log'
    with open(full_log, 'w') as f:
        uninterrupted = subprocess.Popen(_cmd(full, phantoms), cwd=REPO,
                                         env=_env(), stdout=f,
                                         stderr=subprocess.STDOUT)
    killed = str(tmp_path / 'killed')
    proc = subprocess.Popen(_cmd(killed, phantoms), cwd=REPO, env=_env(),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    last = osp.join(killed, 'last_checkpoint')
    deadline = time.time() + 300
    try:
        while time.time() < deadline and proc.poll() is None:
            if osp.isfile(last) and open(last).read().strip().endswith(
                    'iter_6.pth'):
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        rc = proc.wait()
    assert rc == -signal.SIGKILL, 'the run finished before it could be killed'
    left = sorted(f for f in os.listdir(killed) if f.startswith('iter_'))
    assert 'iter_6.pth' in left and 'iter_8.pth' not in left, left
    # a checkpoint cut short on disk: the resume must skip it and take the
    # previous one (iter_4, re-saved by mmengine after the new best val IoU)
    previous = [f for f in left if f != 'iter_6.pth'][-1]
    newest = osp.join(killed, 'iter_6.pth')
    with open(newest, 'r+b') as f:
        f.truncate(os.path.getsize(newest) // 2)

    out = _run(_cmd(killed, phantoms, '--resume'))
    assert uninterrupted.wait(timeout=600) == 0, full_log.read_text()[-5000:]
    said = [ln for ln in (out.stdout + out.stderr).splitlines()
            if 'cannot resume from' in ln]
    assert said and 'iter_6.pth' in said[0] and previous in said[0], (
        left, said)  # names the broken file and the one used instead
    a, b = _weights(osp.join(full, 'iter_8.pth')), _weights(
        osp.join(killed, 'iter_8.pth'))
    assert a.keys() == b.keys()
    # (the adaptive gate's score buffer holds NaN where it is still empty)
    diff = max((a[k].double() - b[k].double()).abs().nan_to_num(0.).max()
               .item() for k in a if a[k].is_floating_point())
    assert diff == 0.0
    assert same(a, b)  # every entry, buffers (NaN = empty slot) included
