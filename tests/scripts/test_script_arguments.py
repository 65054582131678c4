"""Argument handling of scripts/offline_bundle.sh, install.sh --offline and
gpu_check.sh (fast: every case stops before any download, install or run).
The offline install itself is too slow for the suite; README "Offline
install" gives the measured run."""
import os
import subprocess

import pytest

from tests.tools.conftest import REPO


def _bash(*args, env=None):
    return subprocess.run(['bash', *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60,
                          env=dict(os.environ, **(env or {})))


@pytest.mark.parametrize('script', ['scripts/offline_bundle.sh',
                                    'scripts/install.sh',
                                    'scripts/gpu_check.sh'])
def test_help(script):
    proc = _bash(script, '--help')
    assert proc.returncode == 0 and 'Usage' in proc.stdout, proc.stderr


@pytest.mark.parametrize('args,message', [
    ([], 'give the output folder'),
    (['a', 'b'], 'one output folder only'),
    (['d', '--python', '3.9'], 'Python 3.10-3.12'),
    (['d', '--python', 'three'], "must look like 3.12"),
    (['d', '--platform'], '--platform needs'),
    (['d', '--bogus'], 'unknown option --bogus'),
])
def test_offline_bundle_refuses_bad_arguments(args, message):
    proc = _bash('scripts/offline_bundle.sh', *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_install_offline_checks_the_bundle(tmp_path):
    proc = _bash('scripts/install.sh', '--offline', str(tmp_path / 'nope'))
    assert proc.returncode == 2 and 'no such folder' in proc.stderr
    proc = _bash('scripts/install.sh', '--offline', str(tmp_path))
    assert proc.returncode == 2 and 'BUNDLE.txt missing' in proc.stderr
    (tmp_path / 'BUNDLE.txt').write_text('python=3.11\n')
    proc = _bash('scripts/install.sh', '--offline', str(tmp_path))
    assert proc.returncode == 2 and 'mmcv-2.1.0.tar.gz missing' in proc.stderr
    (tmp_path / 'mmcv-2.1.0.tar.gz').write_bytes(b'')
    (tmp_path / 'BUNDLE.txt').write_text('python=3.1\n')  # no such Python
    venv = tmp_path / 'venv'
    os.makedirs(venv / 'bin')
    os.symlink(subprocess.check_output(
        ['bash', '-c', 'command -v python3'], text=True).strip(),
        venv / 'bin' / 'python')
    proc = _bash('scripts/install.sh', '--offline', str(tmp_path),
                 env=dict(VENV=str(venv)))
    assert proc.returncode == 2 and 'was made for Python 3.1 but' in \
        proc.stderr, proc.stderr
    proc = _bash('scripts/install.sh', '--offline')
    assert proc.returncode == 2 and 'needs the bundle folder' in proc.stderr


def test_gpu_check_refuses_bad_arguments():
    proc = _bash('scripts/gpu_check.sh', '--iters', 'x')
    assert proc.returncode == 2 and '--iters needs an integer' in proc.stderr
    proc = _bash('scripts/gpu_check.sh', '--what')
    assert proc.returncode == 2 and 'unknown argument' in proc.stderr
