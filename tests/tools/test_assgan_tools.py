"""ASSGAN from the command line: headline config without data, train with the
phase switch, resume (three networks, three optimizers, phase), test each
generator, and a 2-process gloo run with MMSeparateDistributedDataParallel."""
import json
import os
import os.path as osp
import subprocess

import pytest
import torch

from .conftest import data_root_options, run_tool
from tests.models.test_assgan import same

CONFIG = 'configs/assgan/assgan_phantom-demo.py'
FAST = ['train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1',
        'train_dataloader.batch_size=4', 'train_dataloader.sampler.batch_size=4',
        'train_dataloader.sampler.num_labeled=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
        'custom_hooks.1.semi_start=2', 'custom_hooks.1.epoch_length=2']


def _roots(root):
    return [f'train_dataloader.dataset.datasets.{i}.data_root={root}'
            for i in (0, 1)] + data_root_options(root)[1:]


def test_headline_config_without_sdbui_says_what_to_do(tmp_path):
    proc = run_tool('tools/train.py', 'configs/assgan_sdbui_15pct.py',
                    '--work-dir', str(tmp_path / 'w'), check=False)
    assert proc.returncode != 0
    assert 'data/SDBUI' in proc.stderr
    assert 'assgan_phantom-demo.py' in proc.stderr


@pytest.fixture(scope='module')
def assgan_run(phantom_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('assgan') / 'run')
    opts = FAST + _roots(phantom_root)
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', work,
                    '--cfg-options', *opts)
    return work, opts, proc.stdout + proc.stderr


def test_phase_switch_and_trusted_counts_logged(assgan_run):
    work, _, log = assgan_run
    assert 'supervised phase' in log and 'semi-supervised phase' in log
    assert 'accepted_a' in log and 'unlabeled_used_a' in log
    split = json.load(open(osp.join(work, 'split.json')))
    assert split['labeled'] and split['unlabeled']


def test_resume_restores_networks_optimizers_and_phase(assgan_run):
    work, opts, _ = assgan_run
    ckpt = torch.load(osp.join(work, 'iter_4.pth'))
    # the default has a D: three networks, three optimizers, and the gate's
    # score bank (its ranks must survive a resume)
    assert set(ckpt['optimizer']) == {'generator_a', 'generator_b',
                                      'discriminator'}
    keys = ckpt['state_dict'].keys()
    for net in ('generator_a.', 'generator_b.', 'discriminator.',
                'gate.recent.bank'):
        assert any(k.startswith(net) for k in keys)
    more = [o for o in opts if not o.startswith('train_cfg.max_iters')]
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', work, '--resume',
                    '--cfg-options', *more, 'train_cfg.max_iters=6')
    log = proc.stdout + proc.stderr
    assert 'resumed' in log.lower()
    # resumed at iter 4 >= semi_start 2: straight into Algorithm 2
    assert 'iteration 4: semi-supervised phase' in log
    assert 'supervised phase (Algorithm 1' not in log
    after = torch.load(osp.join(work, 'iter_6.pth'))
    assert after['meta']['iter'] == 6
    key = 'generator_a.decode_head.conv_seg.weight'
    assert not torch.equal(ckpt['state_dict'][key], after['state_dict'][key])


def test_test_reports_each_generator(assgan_run, tmp_path):
    work, opts, _ = assgan_run
    out = str(tmp_path / 'test')
    proc = run_tool('tools/test.py', CONFIG, osp.join(work, 'iter_4.pth'),
                    '--work-dir', out, '--predict-with', 'generator_a',
                    'generator_b', 'mean', '--show-dir', out + '/ov',
                    '--cfg-options', *opts)
    metrics = json.load(open(osp.join(out, 'test_metrics.json')))['metrics']
    assert set(metrics) == {'generator_a', 'generator_b', 'mean'}
    for m in metrics.values():
        assert 0 <= m['IoU'] <= 1 and m['num_images'] > 0
    assert sorted(os.listdir(out + '/ov')) == ['generator_a', 'generator_b',
                                              'mean']


def test_two_process_gloo_training(phantom_root, tmp_path):
    import socket
    with socket.socket() as sock:  # a free port, so parallel runs don't clash
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    work = str(tmp_path / 'dist')
    try:
        proc = run_tool('-m', 'torch.distributed.run', '--nproc_per_node=2',
                        f'--master_port={port}', 'tools/train.py', CONFIG,
                        '--launcher', 'pytorch', '--work-dir', work,
                        '--cfg-options', 'env_cfg.dist_cfg.backend=gloo',
                        *FAST, *_roots(phantom_root), timeout=480)
    except subprocess.TimeoutExpired as err:
        out = ''.join(x.decode() if isinstance(x, bytes) else x
                      for x in (err.stdout, err.stderr) if x)
        if 'Distributed training: True' not in out:
            # A gloo rendezvous that never completes is the machine's fault
            # (seen once on a sandboxed CI machine), not the tool's.
            pytest.skip('gloo could not form a 2-process group here')
        raise AssertionError(f'2-process training hung:\n{out[-3000:]}')
    log = proc.stdout + proc.stderr
    assert 'Distributed launcher: pytorch' in log
    assert 'rank 0 of 2' in log and 'Distributed training: True' in log
    ckpt = torch.load(osp.join(work, 'iter_4.pth'))
    assert ckpt['meta']['iter'] == 4
    assert 'semi-supervised phase' in log


def test_gate_audit_logs_and_never_changes_training(assgan_run, phantom_root,
                                                    tmp_path):
    """--audit-gate: per-window audit figures and records, and the final
    weights bit-identical to the same run without the audit."""
    work, opts, _ = assgan_run
    audited = str(tmp_path / 'audited')
    proc = run_tool('tools/train.py', CONFIG, '--work-dir', audited,
                    '--audit-gate', '--cfg-options', *opts)
    log = proc.stdout + proc.stderr
    assert 'ASSGAN gate audit up to iter' in log and 'Spearman' in log
    records = [json.loads(line) for line in
               open(osp.join(audited, 'gate_audit.jsonl'))]
    # 2 semi iterations x 2 unlabeled images x 2 generators
    assert len(records) == 8
    assert {r['generator'] for r in records} == {'a', 'b'}
    assert all(0 <= r['iou'] <= 1 and 0 <= r['score'] <= 1 for r in records)
    plain = torch.load(osp.join(work, 'iter_4.pth'))['state_dict']
    audit = torch.load(osp.join(audited, 'iter_4.pth'))['state_dict']
    assert plain.keys() == audit.keys()
    assert same(plain, audit)  # NaN = an empty slot of the gate's buffer
    out = str(tmp_path / 'analysis')
    run_tool('tools/analysis_tools/analyze.py', audited, '--out', out)
    assert osp.isfile(osp.join(out, 'gate_audit.png'))


def test_audit_and_gamma_bad_input_fail_before_training(phantom_root,
                                                        tmp_path):
    opts = FAST + _roots(phantom_root)
    proc = run_tool('tools/train.py', CONFIG, '--work-dir',
                    str(tmp_path / 'g'), '--cfg-options', *opts,
                    'model.gate.gamma=1.5', check=False)
    assert proc.returncode != 0 and 'gamma must lie in [0, 1]' in proc.stderr
    proc = run_tool('tools/train.py',
                    'configs/assgan/assgan_phantom-demo_paper-gate.py',
                    '--work-dir', str(tmp_path / 'c'), '--cfg-options', *opts,
                    'model.semi_train_cfg.d_input.with_image=True',
                    check=False)
    assert proc.returncode != 0 and 'in_channels' in proc.stderr
    proc = run_tool('tools/train.py', 'configs/demo/unet_phantom-demo.py',
                    '--work-dir', str(tmp_path / 'u'), '--audit-gate',
                    check=False)
    assert proc.returncode != 0 and '--audit-gate' in proc.stderr


def test_gate_score_audit_scores_every_unlabeled_prediction(assgan_run,
                                                            tmp_path):
    import csv
    work, opts, _ = assgan_run
    out_csv, out_json = tmp_path / 'scores.csv', tmp_path / 'scores.jsonl'
    proc = run_tool('tools/analysis_tools/gate_score_audit.py', CONFIG,
                    osp.join(work, 'iter_4.pth'), '--csv', str(out_csv),
                    '--json', str(out_json), '--cfg-options', *opts)
    rows = list(csv.DictReader(open(out_csv)))
    unlabeled = json.load(open(osp.join(work, 'split.json')))['unlabeled']
    assert len(rows) == 2 * len(unlabeled)
    assert {r['sample_id'] for r in rows} == set(unlabeled)
    for r in rows:
        assert 0. <= float(r['iou']) <= 1. and 0. <= float(r['d']) <= 1.
    # agreement is symmetric: the same pair of masks for both generators
    by = {(r['generator'], r['sample_id']): float(r['agree']) for r in rows}
    assert all(by['generator_a', s] == by['generator_b', s]
               for s in unlabeled)
    lines = [json.loads(line) for line in open(out_json)]
    assert [d['generator'] for d in lines] == ['generator_a', 'generator_b']
    assert set(lines[0]['scores']) == {'d', 'agree', 'certainty', 'area'}
    assert 'top-bottom IoU' in proc.stdout


def test_gate_score_audit_refuses_bad_input(assgan_run, tmp_path):
    work, opts, _ = assgan_run
    proc = run_tool('tools/analysis_tools/gate_score_audit.py', CONFIG,
                    str(tmp_path / 'missing.pth'), check=False)
    assert proc.returncode != 0 and 'missing.pth' in proc.stderr
    proc = run_tool('tools/analysis_tools/gate_score_audit.py',
                    'configs/assgan/assgan_phantom-demo_1gen.py',
                    osp.join(work, 'iter_4.pth'), check=False)
    assert proc.returncode != 0 and 'generator_b' in proc.stderr
