"""End to end through the command-line tools on phantom data, as a user runs them."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import cv2
import pytest
import torch

from .conftest import REPO, data_root_options, run_tool

CONFIG = 'configs/demo/unet_phantom-demo.py'
FAST = ['train_cfg.max_iters=4', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']


@pytest.fixture(scope='module')
def trained(phantom_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('run') / 'unet')
    opts = FAST + data_root_options(phantom_root)
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
             *opts)
    return work, opts


def test_train_writes_checkpoints_split_and_logs(trained):
    work, _ = trained
    files = os.listdir(work)
    assert 'iter_4.pth' in files and 'split.json' in files
    assert any(f.startswith('best_IoU') for f in files)
    split = json.load(open(osp.join(work, 'split.json')))
    assert split['test'] and not set(split['test']) & set(split['train'])
    # checkpoints load under torch's default weights_only=True
    ckpt = torch.load(osp.join(work, 'iter_4.pth'))
    assert ckpt['meta']['iter'] == 4 and 'message_hub' in ckpt


def test_resume_continues_and_refuses_clobber(trained):
    work, opts = trained
    # same work dir without --resume: refused, nothing overwritten
    before = os.path.getmtime(osp.join(work, 'iter_4.pth'))
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', work,
                    '--cfg-options', *opts, check=False)
    assert proc.returncode != 0 and '--resume' in proc.stderr
    assert os.path.getmtime(osp.join(work, 'iter_4.pth')) == before
    # a different config in the same work dir: refused
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', work,
                    '--cfg-options', *opts, 'optim_wrapper.optimizer.lr=0.5',
                    check=False)
    assert proc.returncode != 0 and 'different config' in proc.stderr
    # --resume continues from iter 4 to 6 (a longer schedule may resume)
    more = [o for o in opts if not o.startswith('train_cfg.max_iters')]
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', work, '--resume',
                    '--cfg-options', *more, 'train_cfg.max_iters=6')
    assert 'resumed' in (proc.stdout + proc.stderr).lower()
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
    assert torch.load(osp.join(work, 'iter_6.pth'))['meta']['iter'] == 6


def test_test_tool_metrics_overlays_masks(trained, tmp_path):
    work, opts = trained
    out = str(tmp_path / 'test')
    run_tool('tools/test.py', CONFIG, osp.join(work, 'iter_4.pth'),
             '--work-dir', out, '--show-dir', out + '/overlays', '--out',
             out + '/masks', '--csv', out + '/per_image.csv', '--cfg-options',
             *opts)
    metrics = json.load(open(osp.join(out, 'test_metrics.json')))['metrics']
    m = metrics['model']
    assert 0.0 <= m['IoU'] <= 1.0 and m['num_images'] > 0
    overlays = os.listdir(out + '/overlays')
    masks = os.listdir(out + '/masks')
    assert len(overlays) == len(masks) == m['num_images']
    mask = cv2.imread(osp.join(out, 'masks', masks[0]), cv2.IMREAD_UNCHANGED)
    assert set(mask.ravel().tolist()) <= {0, 255}
    ov = cv2.imread(osp.join(out, 'overlays', overlays[0]))
    assert ov.ndim == 3 and ov.shape[:2] == mask.shape
    assert osp.isfile(out + '/per_image.csv')


def test_dist_test_sh_two_cpu_processes(trained, tmp_path):
    """bash tools/dist_test.sh CONFIG CHECKPOINT 2 on a CPU: two gloo
    processes score the whole test split exactly as one process does."""
    work, opts = trained
    ckpt = osp.join(work, 'iter_4.pth')
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    run_tool('tools/test.py', CONFIG, ckpt, '--work-dir', one,
             '--cfg-options', *opts)
    with socket.socket() as sock:  # a free port, so parallel runs don't clash
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PYTHON=sys.executable, PORT=str(port))
    try:
        proc = subprocess.run(
            ['bash', 'tools/dist_test.sh', CONFIG, ckpt, '2', '--work-dir',
             two, '--cfg-options', *opts], cwd=REPO, env=env,
            capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as err:
        out = ''.join(x.decode() if isinstance(x, bytes) else x
                      for x in (err.stdout, err.stderr) if x)
        if 'rank 0 of 2' not in out:
            # a gloo rendezvous that never completes is the machine's fault
            pytest.skip('gloo could not form a 2-process group here')
        raise AssertionError(f'2-process test hung:\n{out[-3000:]}')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'rank 0 of 2' in log
    ref = json.load(open(osp.join(one, 'test_metrics.json')))['metrics']
    got = json.load(open(osp.join(two, 'test_metrics.json')))['metrics']
    assert got['model']['num_images'] == ref['model']['num_images']
    for key in ('IoU', 'Dice'):
        assert got['model'][key] == pytest.approx(ref['model'][key],
                                                  abs=1e-6)


def test_infer_folder_writes_masks_and_overlays(trained, phantom_root,
                                                tmp_path):
    work, opts = trained
    out = str(tmp_path / 'infer')
    run_tool('tools/infer.py', CONFIG, osp.join(work, 'iter_4.pth'),
             osp.join(phantom_root, 'malignant'), '--out-dir', out,
             '--device', 'cpu', '--batch-size', '3')
    masks = sorted(os.listdir(osp.join(out, 'masks')))
    assert len(masks) == 12 and 'malignant (1).png' in masks
    m = cv2.imread(osp.join(out, 'masks', 'malignant (1).png'),
                   cv2.IMREAD_UNCHANGED)
    img = cv2.imread(osp.join(phantom_root, 'malignant', 'malignant (1).png'))
    assert m.shape == img.shape[:2]
    assert len(os.listdir(osp.join(out, 'overlays'))) == 12


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU fast path')
def test_amp_channels_last_train_resume_test_infer(phantom_root, tmp_path):
    """--amp (bf16 on a CPU with native bf16) and --channels-last through
    train (+ resume), test and infer; without native bf16 --amp refuses."""
    from bus_mm.engine.optimizers.autocast_optim_wrapper import \
        cpu_supports_bf16
    work = str(tmp_path / 'amp')
    opts = FAST + data_root_options(phantom_root)
    fast = ['--amp', '--channels-last']
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', work, *fast,
                    '--cfg-options', *opts, check=cpu_supports_bf16())
    if not cpu_supports_bf16():
        assert proc.returncode != 0 and 'bfloat16' in proc.stderr
        return
    log = proc.stdout + proc.stderr
    assert 'amp=bfloat16 on cpu, channels_last=True' in log
    more = [o for o in opts if not o.startswith('train_cfg.max_iters')]
    run_tool('tools/train.py', CONFIG, '--work-dir', work, *fast, '--resume',
             '--cfg-options', *more, 'train_cfg.max_iters=6')
    ckpt = torch.load(osp.join(work, 'iter_6.pth'))
    assert ckpt['meta']['iter'] == 6
    out = str(tmp_path / 'test')
    run_tool('tools/test.py', CONFIG, osp.join(work, 'iter_6.pth'),
             '--work-dir', out, *fast, '--cfg-options', *opts)
    m = json.load(open(osp.join(out, 'test_metrics.json')))['metrics']
    assert 0.0 <= m['model']['IoU'] <= 1.0
    run_tool('tools/infer.py', CONFIG, osp.join(work, 'iter_6.pth'),
             osp.join(phantom_root, 'benign'), '--out-dir', str(tmp_path / 'i'),
             '--device', 'cpu', '--no-overlay', *fast)
    assert os.listdir(tmp_path / 'i' / 'masks')


def test_amp_parity_tool_channels_last_keeps_masks(trained, tmp_path):
    work, opts = trained
    out = str(tmp_path / 'parity.json')
    run_tool('tools/analysis_tools/amp_parity.py', CONFIG,
             osp.join(work, 'iter_4.pth'),
             '--modes', 'fp32+cl', '--out', out, '--cfg-options', *opts)
    res = json.load(open(out))
    assert res['images'] > 0 and res['pixels'] > 0
    assert res['fp32+cl']['agreement'] >= 0.999
    assert abs(res['fp32+cl']['IoU'] - res['fp32']['IoU']) < 0.01
