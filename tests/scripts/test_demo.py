"""scripts/demo.sh (``make demo``): DEMO_AMP passes one precision to the
training and the test, the last lines name the precision the training ran
in, and a wrong DEMO_AMP stops before anything runs. Checked with a stand-in
Python that records the commands and writes what tools/train.py would (no
training)."""
import os
import subprocess

from mmengine.config import Config

from tests.tools.conftest import REPO

SCRIPT = 'scripts/demo.sh'
STUB = r'''#!/usr/bin/env bash
echo "$*" >> {calls}
if [ "$1" = tools/train.py ]; then
  while [ $# -gt 0 ]; do
    [ "$1" = --work-dir ] && wd=$2
    shift
  done
  mkdir -p "$wd"
  echo "$wd/iter_600.pth" > "$wd/last_checkpoint"
  printf "amp = True\namp_dtype = 'bfloat16'\nchannels_last = False\n" \
    > "$wd/assgan_phantom-demo.py"
fi
'''


def _demo(tmp_path, **env):
    calls = tmp_path / 'calls.txt'
    stub = tmp_path / 'python'
    stub.write_text(STUB.format(calls=calls))
    stub.chmod(0o755)
    proc = subprocess.run(
        ['bash', SCRIPT], cwd=REPO, capture_output=True, text=True,
        timeout=60, env=dict(os.environ, PY=str(stub),
                             WORK_DIR=str(tmp_path / 'demo'), **env))
    lines = calls.read_text().splitlines() if calls.exists() else []
    return proc, {line.split()[0]: line.split() for line in lines}


def test_demo_amp_reaches_training_and_testing(tmp_path):
    proc, calls = _demo(tmp_path, DEMO_AMP='off')
    assert proc.returncode == 0, proc.stderr
    assert '--amp=off' in calls['tools/train.py']
    assert '--amp=off' in calls['tools/test.py']
    assert '--audit-gate' in calls['tools/train.py']
    # the summary names what the training resolved to (its dumped config)
    assert "amp = True, amp_dtype = 'bfloat16', channels_last = False" \
        in proc.stdout


def test_without_demo_amp_the_config_decides(tmp_path):
    proc, calls = _demo(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not any(w.startswith('--amp') for w in calls['tools/train.py'])
    cfg = Config.fromfile(os.path.join(
        REPO, 'configs/assgan/assgan_phantom-demo.py'))
    assert cfg.amp == 'auto' and cfg.channels_last == 'auto'


def test_a_wrong_demo_amp_is_refused_by_name(tmp_path):
    proc, calls = _demo(tmp_path, DEMO_AMP='bf16')
    assert proc.returncode == 2
    assert "DEMO_AMP must be auto, on or off, got 'bf16'" in proc.stderr
    assert calls == {}
