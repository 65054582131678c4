"""scripts/taichinet_power_study.sh picks its configs by WIDTH: the cpu128
configs at width 8, the -w32 configs (students and teachers) at width 32, the
cpu128 configs with the students' width overridden at other widths. Checked
with DRY_RUN=1 (the commands only) and with a stand-in Python that records
the commands the lanes really run (no training)."""
import os
import os.path as osp
import re
import stat
import subprocess
import sys

import pytest

from tests.tools.conftest import REPO

SCRIPT = 'scripts/taichinet_power_study.sh'
T = 'configs/taichinet/'


def _study(*args, env=None, timeout=120):
    return subprocess.run(['bash', SCRIPT, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def _dry(width, tmp_path, phases='core normal table1'):
    proc = _study('data/BUSI', str(tmp_path / 'work'), *(
        [str(width)] if width is not None else []), env=dict(
            DRY_RUN='1', FOLD_LIST='0', SEEDS='0 1', PHASES=phases))
    assert proc.returncode == 0, proc.stderr
    assert not osp.exists(tmp_path / 'work')  # a dry run writes nothing
    runs = {}
    for line in proc.stdout.splitlines():
        m = re.match(r'run (\S+) fold 0: (.*)$', line)
        if m:
            runs[m.group(1)] = m.group(2).split()
    return proc.stdout, runs


def _arg(words, flag):
    return words[words.index(flag) + 1] if flag in words else None


@pytest.mark.parametrize('width', [None, 8])
def test_width_8_runs_the_cpu128_configs(width, tmp_path):
    out, runs = _dry(width, tmp_path)
    assert 'width 8 (teachers 8)' in out
    # (4 core + 3 normal + 5 table1 groups) x 2 seeds
    assert len(runs) == 24
    for name, words in runs.items():
        cfg = words[2]
        assert cfg.startswith(T) and '-cpu128' in cfg
        assert '-cpu128-w' not in cfg
        assert 'model.backbone.base_channels=8' in words
        teacher = _arg(words, '--curriculum-teacher')
        if 'tc-' in name:
            assert teacher == T + ('unetpp_busi-with-normal-cpu128.py'
                                   if name.startswith('normal')
                                   else 'unetpp_busi-cpu128.py')
        else:
            assert teacher is None
        # trained without the normal images -> also tested on them
        assert ('--test-normal' in words) == (not name.startswith('normal'))


def test_width_32_runs_the_paper_width_configs_teachers_included(tmp_path):
    out, runs = _dry(32, tmp_path)
    assert 'width 32 (teachers 32)' in out
    assert len(runs) == 24
    expected = {
        'model1': 'unet_busi-cpu128-w32.py',
        'model7': 'taichinet_busi-cpu128-w32_no-curriculum.py',
        'tc-masked': 'taichinet_busi-cpu128-w32.py',
        'tc-literal': 'taichinet_busi-cpu128-w32.py',
        'normal-model1': 'unet_busi-with-normal-cpu128-w32.py',
        'normal-model7':
        'taichinet_busi-with-normal-cpu128-w32_no-curriculum.py',
        'normal-tc-masked': 'taichinet_busi-with-normal-cpu128-w32.py',
    }
    expected.update({f'model{k}': expected['model7'] for k in range(2, 7)})
    for name, words in runs.items():
        group = name.rsplit('-s', 1)[0]
        assert words[2] == T + expected[group], name
        assert osp.isfile(osp.join(REPO, words[2]))
        assert 'model.backbone.base_channels=32' in words
        teacher = _arg(words, '--curriculum-teacher')
        if 'tc-' in group:
            # every TaiChiNet row, the linked ones too, names the same
            # paper-width teacher
            assert teacher == T + ('unetpp_busi-with-normal-cpu128-w32.py'
                                   if group.startswith('normal')
                                   else 'unetpp_busi-cpu128-w32.py'), name
    # one teacher per fold: the seed-0 masked run mines it, the rest link it
    for name in ('tc-literal-s0', 'tc-masked-s1', 'tc-literal-s1'):
        assert f'link {name} fold 0: the curriculum of tc-masked-s0' in out
    assert 'link normal-tc-masked-s1 fold 0: the curriculum of ' \
        'normal-tc-masked-s0' in out


def test_other_widths_override_the_students_only(tmp_path):
    out, runs = _dry(16, tmp_path, phases='core')
    assert 'width 16 (teachers 8)' in out
    assert set(runs) == {f'{g}-s{s}' for g in ('model1', 'model7',
                                               'tc-masked', 'tc-literal')
                         for s in (0, 1)}
    for name, words in runs.items():
        assert '-cpu128-w' not in words[2]
        assert 'model.backbone.base_channels=16' in words
        if name.startswith('tc-'):
            assert _arg(words, '--curriculum-teacher') == \
                T + 'unetpp_busi-cpu128.py'


def _stub_python(tmp_path, record):
    """A stand-in for Python: records every cross_val.py call and marks its
    fold finished (a teacher run not linked writes its curriculum); runs
    tools/misc/job_queue.py for real."""
    stub = tmp_path / 'python'
    stub.write_text(f"""#!/usr/bin/env bash
[ "$1" = tools/misc/job_queue.py ] && exec {sys.executable} "$@"
[ "$1" = tools/cross_val.py ] || exit 0
echo "$*" >> {record}
work=; fold=; teacher=; normal=
while [ $# -gt 0 ]; do
  case $1 in
    --work-dir) work=$2 ;; --folds) fold=$2 ;;
    --curriculum-teacher) teacher=$2 ;; --test-normal) normal=1 ;;
  esac
  shift
done
mkdir -p "$work/fold_$fold/curriculum"
if [ -n "$teacher" ] && [ ! -L "$work/fold_$fold/curriculum" ]; then
  echo {{}} > "$work/fold_$fold/curriculum/curriculum_meta.json"
fi
if [ -n "$normal" ]; then
  echo '{{"fold": '$fold', "normal_num_images": 30}}' > "$work/fold_$fold/cv_fold_metrics.json"
else
  echo '{{"fold": '$fold'}}' > "$work/fold_$fold/cv_fold_metrics.json"
fi
""")
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return stub


def _lanes(work, record, env, jobs):
    """Runs the study at width 32 into ``work`` (through the job queue
    when ``jobs``); returns the process and the 8 cross_val.py calls."""
    if jobs:
        env = dict(env, JOBS=jobs)
    proc = _study('data/BUSI', str(work), '32', env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = record.read_text().splitlines()
    assert len(calls) == 8
    return proc, calls


@pytest.mark.parametrize('jobs', [None, '3'])
def test_the_lanes_run_the_paper_width_configs(jobs, tmp_path):
    """The real path (no DRY_RUN) with a stand-in for Python: every
    cross_val.py call is recorded and marks its fold finished; the teacher
    run writes the curriculum the other TaiChiNet runs link. JOBS=3 runs the
    same commands through tools/misc/job_queue.py (the real one)."""
    record = tmp_path / 'calls.txt'
    stub = _stub_python(tmp_path, record)
    work = tmp_path / 'work'
    env = dict(PYTHON=str(stub), FOLD_LIST='0', SEEDS='0 1', PHASES='core')
    proc, calls = _lanes(work, record, env, jobs)
    for call in calls:
        words = call.split()
        assert words[1].endswith('-w32.py') or \
            words[1].endswith('-w32_no-curriculum.py'), call
        if '--curriculum-teacher' in words:
            assert _arg(words, '--curriculum-teacher') == \
                T + 'unetpp_busi-cpu128-w32.py'
    for run in ('tc-literal-s0', 'tc-masked-s1', 'tc-literal-s1'):
        link = work / run / 'fold_0' / 'curriculum'
        assert link.is_symlink()
        assert os.readlink(link) == '../../tc-masked-s0/fold_0/curriculum'
    if jobs:
        assert '8 of 8 jobs to run, 3 at a time' in proc.stdout
        assert (work / 'logs' / 'queue.json').is_file()
        assert not os.listdir(work / '.failed')
        return
    # a rerun calls nothing; a fold finished without the normal-image test
    # (an older run) gets called again, for that test
    done = work / 'model1-s0' / 'fold_0' / 'cv_fold_metrics.json'
    done.write_text('{"fold": 0}')
    assert _study('data/BUSI', str(work), '32', env=env).returncode == 0
    calls = record.read_text().splitlines()[8:]
    assert len(calls) == 1 and '--work-dir ' + str(work / 'model1-s0') in \
        calls[0] and '--test-normal' in calls[0]


@pytest.mark.parametrize('jobs', [None, '3'])
def test_curricula_of_an_earlier_study_are_linked_not_mined(jobs, tmp_path):
    """CURRICULA=<earlier study>: every TaiChiNet run links that study's
    fold curriculum (no teacher is trained), CV_OPTS reach the students
    (a longer schedule); a fold whose teacher is missing there is refused
    before anything runs."""
    record = tmp_path / 'calls.txt'
    stub = _stub_python(tmp_path, record)
    first, second = tmp_path / 'work', tmp_path / 'work-2400'
    env = dict(PYTHON=str(stub), FOLD_LIST='0', SEEDS='0 1', PHASES='core')
    assert _study('data/BUSI', str(first), '32', env=env).returncode == 0
    record.write_text('')
    env.update(CURRICULA=str(first), CV_OPTS='train_cfg.max_iters=2400')
    _, calls = _lanes(second, record, env, jobs)
    assert all(c.split()[-1] == 'train_cfg.max_iters=2400' for c in calls)
    for run in ('tc-masked-s0', 'tc-literal-s0', 'tc-masked-s1',
                'tc-literal-s1'):
        link = second / run / 'fold_0' / 'curriculum'
        assert link.is_symlink(), run
        assert os.readlink(link) == str(
            first / 'tc-masked-s0' / 'fold_0' / 'curriculum')
    env['FOLD_LIST'] = '0 1'  # fold 1 has no teacher in the first study
    proc = _study('data/BUSI', str(tmp_path / 'work-3'), '32', env=env)
    assert proc.returncode == 2
    assert 'fold_1/curriculum/curriculum_meta.json is missing' in proc.stderr
    assert not (tmp_path / 'work-3' / 'tc-masked-s0').exists()
