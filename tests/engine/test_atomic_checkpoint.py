"""Crash-safe checkpoint writes and the choice of the checkpoint to resume."""
import os
import os.path as osp
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

import bus_mm.engine.atomic_checkpoint as atomic_checkpoint
from bus_mm.engine.atomic_checkpoint import (atomic_torch_save,
                                             checkpoint_problem,
                                             select_resume_checkpoint)
from tests.tools.conftest import REPO


def _save(path, value=1.0, size=1000):
    torch.save(dict(meta=dict(iter=1), state_dict=dict(
        w=torch.full((size, ), value))), path)


def _point_last(work, name):
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, name))


def test_checkpoint_problem_spots_truncated_empty_and_corrupt(tmp_path):
    good = str(tmp_path / 'iter_1.pth')
    _save(good)
    assert checkpoint_problem(good) is None
    assert 'does not exist' in checkpoint_problem(str(tmp_path / 'no.pth'))
    empty = tmp_path / 'iter_2.pth'
    empty.write_bytes(b'')
    assert 'empty' in checkpoint_problem(str(empty))
    data = open(good, 'rb').read()
    cut = tmp_path / 'iter_3.pth'
    cut.write_bytes(data[:len(data) // 2])
    assert 'truncated' in checkpoint_problem(str(cut))
    # flip a byte inside the tensor payload: the zip CRC catches it
    flipped = bytearray(data)
    pos = data.index(torch.full((1000, ), 1.0).numpy().tobytes()[:64]) + 100
    flipped[pos] ^= 0xFF
    bad = tmp_path / 'iter_4.pth'
    bad.write_bytes(bytes(flipped))
    assert 'CRC' in checkpoint_problem(str(bad))


def test_resume_falls_back_to_the_previous_checkpoint(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(atomic_checkpoint, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    work = str(tmp_path)
    _save(osp.join(work, 'iter_100.pth'))
    _save(osp.join(work, 'iter_200.pth'))
    with open(osp.join(work, 'iter_300.pth'), 'wb') as f:
        f.write(open(osp.join(work, 'iter_200.pth'), 'rb').read()[:300])
    _point_last(work, 'iter_300.pth')
    open(osp.join(work, 'iter_400.pth.tmp-123'), 'wb').write(b'xx')
    assert select_resume_checkpoint(work) == osp.join(work, 'iter_200.pth')
    out = '\n'.join(logged)
    assert 'iter_300.pth' in out and 'truncated' in out
    assert 'iter_200.pth' in out
    assert not osp.exists(osp.join(work, 'iter_400.pth.tmp-123'))


def test_resume_with_empty_or_moved_last_checkpoint(tmp_path):
    work = str(tmp_path)
    _save(osp.join(work, 'iter_5.pth'))
    _save(osp.join(work, 'iter_10.pth'))
    open(osp.join(work, 'last_checkpoint'), 'w').close()  # killed mid-write
    assert select_resume_checkpoint(work) == osp.join(work, 'iter_10.pth')
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write('/elsewhere/old_dir/iter_5.pth')  # the work dir was moved
    assert select_resume_checkpoint(work) == osp.join(work, 'iter_5.pth')


def test_resume_without_any_readable_checkpoint(tmp_path):
    assert select_resume_checkpoint(str(tmp_path)) is None  # fresh run
    (tmp_path / 'iter_1.pth').write_bytes(b'junk')
    with pytest.raises(SystemExit, match=r'iter_1\.pth'):
        select_resume_checkpoint(str(tmp_path))


def test_failed_write_keeps_the_old_file(tmp_path):
    path = str(tmp_path / 'iter_1.pth')
    _save(path, value=1.0)

    def dies_midway(ckpt, filename):
        with open(filename, 'wb') as f:
            f.write(b'partial')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_torch_save(dies_midway, {}, path)
    assert checkpoint_problem(path) is None
    assert os.listdir(tmp_path) == ['iter_1.pth']
    atomic_torch_save(lambda c, f: torch.save(c, f), dict(x=2), path)
    assert torch.load(path)['x'] == 2


def test_sigkill_during_runner_saves_never_leaves_a_broken_pth(tmp_path):
    """Kill a process that keeps saving 8 MB checkpoints through mmengine's
    runner.save_checkpoint path; every *.pth left must be complete."""
    script = textwrap.dedent(f"""
        import torch
        import bus_mm  # installs the atomic writer
        import mmengine.runner.runner as r
        ckpt = dict(state_dict=dict(w=torch.randn(2_000_000)))
        i = 0
        while True:
            r.save_checkpoint(ckpt, {str(tmp_path)!r} + f'/iter_{{i % 3}}.pth')
            print(i, flush=True)
            i += 1
    """)
    proc = subprocess.Popen([sys.executable, '-c', script], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:  # let it write each file, then kill it
        if line.strip() == '3':
            break
    else:
        raise AssertionError('the writer died')
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    pths = [f for f in os.listdir(tmp_path) if f.endswith('.pth')]
    assert len(pths) == 3
    for f in pths:
        assert checkpoint_problem(str(tmp_path / f)) is None, f
