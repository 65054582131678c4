"""The trust-rule study's tools: branching an arm from a supervised-phase
checkpoint (an ASSGAN arm, a UniMatch arm) and the study tables."""
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmseg.registry import MODELS
from projects.assgan_trust.tools import branch, summarize


def _model(config):
    return MODELS.build(Config.fromfile(config).model)


@pytest.fixture(scope='module')
def sup_ckpt(tmp_path_factory):
    """A supervised-phase checkpoint as mmengine writes it: three networks,
    three optimizers and schedulers, the gate's buffers, a message hub that
    names the phase's best checkpoint."""
    torch.manual_seed(0)
    model = _model('configs/assgan/assgan_phantom-demo.py')
    optim = {n: {'state': {}, 'param_groups': [{'lr': 1e-3, 'n': n}]}
             for n in ('generator_a', 'generator_b', 'discriminator')}
    ckpt = dict(
        meta=dict(iter=400), state_dict=model.state_dict(), optimizer=optim,
        param_schedulers={n: [{'last_step': 399, 'n': n}] for n in optim},
        message_hub=dict(
            log_scalars={'train/generator_a.lr': 1, 'val/IoU': 2},
            runtime_info=dict(iter=400, best_score=0.5,
                              best_ckpt='/sup/best_IoU_iter_300.pth')))
    path = str(tmp_path_factory.mktemp('sup') / 'iter_400.pth')
    torch.save(ckpt, path)
    return path, model


def _branch(path, dst, *flags):
    branch.main([path, str(dst), *flags])
    return torch.load(osp.join(str(dst), 'iter_400.pth'), weights_only=False)


def test_arm_without_d_drops_d_and_forgets_the_phase_best(sup_ckpt,
                                                            tmp_path):
    path, _ = sup_ckpt
    ckpt = _branch(path, tmp_path / 'arm', '--no-discriminator')
    assert not any(k.startswith('discriminator.') for k in ckpt['state_dict'])
    assert set(ckpt['optimizer']) == {'generator_a', 'generator_b'}
    info = ckpt['message_hub']['runtime_info']
    # the arm's CheckpointHook must not delete the phase's best checkpoint
    assert 'best_ckpt' not in info and 'best_score' not in info
    assert info['iter'] == 400
    assert list(ckpt['message_hub']['log_scalars']) == ['val/IoU']
    with pytest.raises(SystemExit, match='branched already'):
        branch.main([path, str(tmp_path / 'arm'), '--no-discriminator'])


def test_unimatch_arm_gets_generator_a_as_its_student(sup_ckpt, tmp_path):
    path, assgan = sup_ckpt
    ckpt = _branch(path, tmp_path / 'um', '--to-unimatch')
    assert set(ckpt['optimizer']) == {'segmentor'}
    assert ckpt['optimizer']['segmentor']['param_groups'][0]['n'] == \
        'generator_a'
    assert ckpt['param_schedulers']['segmentor'][0]['n'] == 'generator_a'
    student = _model('configs/unimatch/unimatch_phantom-demo.py')
    student.load_state_dict(ckpt['state_dict'], strict=True)
    for k, v in student.segmentor.state_dict().items():
        assert torch.equal(v, assgan.generator_a.state_dict()[k]), k


def _fold(work, arm, fold, metrics):
    d = osp.join(str(work), arm, f'fold_{fold}')
    os.makedirs(d)
    with open(osp.join(d, 'cv_fold_metrics.json'), 'w') as f:
        json.dump(dict(metrics=metrics), f)


def test_summary_pairs_arms_and_puts_a_one_network_arm_in_g_a(tmp_path,
                                                              capsys):
    two = {'generator_a': {'IoU': 0.40}, 'generator_b': {'IoU': 0.30},
           'mean': {'IoU': 0.42}}
    _fold(tmp_path, 'sup-s0', 0, two)
    _fold(tmp_path, 'sup-s0', 1, two)
    _fold(tmp_path, 'unimatch-s0', 0, {'model': {'IoU': 0.45}})
    _fold(tmp_path, 'unimatch-s0', 1, {'model': {'IoU': 0.39}})
    summarize.main([str(tmp_path), '--ref', 'sup'])
    out = capsys.readouterr().out
    assert '| unimatch | 2 | 42.0 ± 4.2 | – | – |' in out
    # paired against sup over both units: +5 and -1 points, one positive
    assert '| unimatch | 2 | 2.0 ± 4.2 (1/2) |' in out


def test_summary_keeps_only_the_asked_arms_and_seeds(tmp_path, capsys):
    two = {'generator_a': {'IoU': 0.40}, 'generator_b': {'IoU': 0.30},
           'mean': {'IoU': 0.42}}
    for arm in ('sup-s0', 'sup-s1', 'accept-all-s0', 'w2s-s0'):
        _fold(tmp_path, arm, 0, two)
    _fold(tmp_path, 'accept-all-s1', 0, {'generator_a': {'IoU': 0.50},
                                         'generator_b': {'IoU': 0.30},
                                         'mean': {'IoU': 0.42}})
    summarize.main([str(tmp_path), '--ref', 'sup', '--arms', 'sup',
                    'accept-all', '--seeds', '0'])
    out = capsys.readouterr().out
    assert '| accept-all | 1 | 40.0 | 30.0 | 42.0 |' in out
    assert 'w2s' not in out and 's1' not in out
    summarize.main([str(tmp_path), '--ref', 'sup', '--arms', 'sup',
                    'accept-all'])
    out = capsys.readouterr().out
    assert '| accept-all | 2 | 45.0 ± 7.1 |' in out
    assert '| accept-all | 2 | 5.0 ± 7.1 (1/2) |' in out


def _dry_run(tmp_path, phases, units='0:1'):
    """Run the study driver with a stand-in interpreter that records its
    command lines instead of training."""
    import subprocess
    work = tmp_path / 'work'
    sup = work / 'sup-phase-s1' / 'fold_0'
    sup.mkdir(parents=True)
    (sup / 'iter_400.pth').write_bytes(b'')
    done = work / 'sup-s1' / 'fold_0'
    done.mkdir(parents=True)
    (done / 'cv_fold_metrics.json').write_text('{}')
    calls = tmp_path / 'calls.txt'
    fake = tmp_path / 'python'
    fake.write_text(f'#!/bin/bash\necho "$@" >> {calls}\n')
    fake.chmod(0o755)
    env = dict(os.environ, PYTHON=str(fake), UNITS=units, LANES='1',
               FAST='--amp')
    subprocess.run(['bash', 'projects/assgan_trust/run_study.sh', '/data',
                    str(work), phases], env=env, check=True,
                   capture_output=True)
    return [line.split() for line in calls.read_text().splitlines()]


def test_study_driver_long_phase_branches_and_extends(tmp_path):
    calls = _dry_run(tmp_path, 'long')
    branches = [c for c in calls if 'branch.py' in c[0]]
    runs = [c for c in calls if c[0] == 'tools/cross_val.py']
    assert [c[2].rsplit('/', 2)[-2] for c in branches] == [
        'sup-long-s1', 'accept-all-long-s1', 'd-prior-weak-long-s1']
    assert all(c[1].endswith('sup-phase-s1/fold_0/iter_400.pth')
               for c in branches)
    # the default keeps its discriminator, the two references drop it
    assert [c[3:] for c in branches] == [['--no-discriminator']] * 2 + [[]]
    assert len(runs) == 3
    for run in runs:
        assert run[run.index('--folds') + 1] == '0'
        assert run.count('--cfg-options') == 2
        assert 'train_cfg.max_iters=1200' in run
        assert run[-1] == 'randomness.seed=1' and '--amp' in run


def test_study_driver_skips_finished_arms_and_missing_phases(tmp_path):
    calls = _dry_run(tmp_path, 'ref', units='0:1 1:1')
    names = [c[c.index('--work-dir') + 1].rsplit('/', 1)[-1] for c in calls
             if c[0] == 'tools/cross_val.py']
    # unit 0:1: its supervised phase is called again (it has no metrics
    # yet, so it resumes), accept-all runs, sup is finished and skipped;
    # unit 1:1 trains its supervised phase, then its arms find no
    # checkpoint (the stand-in wrote none) and are skipped
    assert names == ['sup-phase-s1', 'accept-all-s1', 'sup-phase-s1']


def test_study_driver_runs_only_the_arms_named_in_arms(tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv('ARMS', 'unimatch-class-thr')
    calls = _dry_run(tmp_path, 'main unimatch')
    names = [c[c.index('--work-dir') + 1].rsplit('/', 1)[-1] for c in calls
             if c[0] == 'tools/cross_val.py']
    branches = [c[2].rsplit('/', 2)[-2] for c in calls
                if 'branch.py' in c[0]]
    # the supervised phase still runs (the arm branches from it); no other
    # arm of either phase is branched or trained
    assert names == ['sup-phase-s1', 'unimatch-class-thr-s1']
    assert branches == ['unimatch-class-thr-s1']
