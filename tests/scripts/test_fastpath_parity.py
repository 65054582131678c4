"""scripts/fastpath_parity.sh trains every row in fp32 and on the fast path,
one lane per precision; ROWS and PRECISIONS pick rows and lanes. Checked with
a stand-in Python that records the tools/cross_val.py commands (no
training)."""
import os
import subprocess

from tests.tools.conftest import REPO

SCRIPT = 'scripts/fastpath_parity.sh'


def _parity(tmp_path, **env):
    calls = tmp_path / 'calls.txt'
    stub = tmp_path / 'python'
    stub.write_text(f'#!/usr/bin/env bash\necho "$*" >> {calls}\n')
    stub.chmod(0o755)
    proc = subprocess.run(
        ['bash', SCRIPT, '/data', str(tmp_path / 'work')], cwd=REPO,
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHON=str(stub), **env))
    lines = calls.read_text().splitlines() if calls.exists() else []
    return proc, [line.split() for line in lines]


def _work(words):
    return os.path.basename(words[words.index('--work-dir') + 1])


def test_each_row_runs_in_fp32_and_on_the_fast_path(tmp_path):
    proc, calls = _parity(tmp_path, ROWS='unet taichinet')
    assert proc.returncode == 0, proc.stderr
    runs = {_work(c): c for c in calls}
    assert set(runs) == {'unet-fp32-s0', 'unet-bf16-s0',
                         'taichinet-fp32-s0', 'taichinet-bf16-s0'}
    for name, words in runs.items():
        assert words[words.index('--num-folds') + 1] == '3'
        assert '--checkpoint' in words and 'last' in words
        if 'fp32' in name:
            assert '--no-amp' in words and '--no-channels-last' in words
        else:  # the config's own layout ('auto') under bf16
            assert '--amp' in words and '--no-channels-last' not in words
    teacher = runs['taichinet-bf16-s0']
    assert teacher[teacher.index('--curriculum-teacher') + 1] == \
        'configs/taichinet/unetpp_busi-cpu128.py'


def test_precisions_runs_one_lane(tmp_path):
    proc, calls = _parity(tmp_path, ROWS='unet', PRECISIONS='bf16')
    assert proc.returncode == 0, proc.stderr
    assert [_work(c) for c in calls] == ['unet-bf16-s0']


def test_an_unknown_row_or_precision_is_refused_by_name(tmp_path):
    proc, calls = _parity(tmp_path, ROWS='unet', PRECISIONS='fp16')
    assert proc.returncode == 2 and "'fp16' in PRECISIONS" in proc.stderr
    assert calls == []
    proc, calls = _parity(tmp_path, ROWS='unet-r50', PRECISIONS='fp32')
    assert proc.returncode == 2 and "'unet-r50' in ROWS" in proc.stderr
    assert calls == [] and not (tmp_path / 'work').exists()
