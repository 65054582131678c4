import importlib.util
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(path):
    """Load ``tools/...py`` (relative to the repo) as a fresh module, to test
    the tool's own functions; shared code is imported from ``bus_mm.apis``."""
    name = 'bus_mm_tool_' + osp.splitext(path)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*args, check=True, timeout=600):
    """Run ``python tools/[<dir>/]<name>.py args...`` from the repo root
    like a user."""
    env = dict(__import__('os').environ, OMP_NUM_THREADS='1',
               PYTHONUNBUFFERED='1')
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


@pytest.fixture(scope='session')
def phantom_root(tmp_path_factory):
    """A small phantom set in the BUSI layout, shared by the tool tests."""
    from bus_mm.datasets.phantom import make_phantom_dataset
    root = str(tmp_path_factory.mktemp('phantom') / 'data')
    make_phantom_dataset(root, num_benign=24, num_malignant=12, num_normal=4,
                         size=(96, 96), seed=0)
    return root


def data_root_options(root):
    return [f'{k}_dataloader.dataset.data_root={root}'
            for k in ('train', 'val', 'test')]
