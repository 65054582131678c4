"""tools/misc/job_queue.py runs a dry-run plan N commands at a time: linked
runs wait for their source's curriculum, finished runs are skipped, a failed
source skips its dependents, a broken environment stops the queue early and
a deadline stops the running commands. The commands here are small bash
stand-ins for tools/cross_val.py."""
import json
import os
import subprocess
import sys

import pytest

from tests.tools.conftest import REPO

TOOL = os.path.join(REPO, 'tools', 'misc', 'job_queue.py')
sys.path.insert(0, os.path.join(REPO, 'tools', 'misc'))
import job_queue  # noqa: E402


def finish(work, name, fold, teacher=False, check_link=False, code=0):
    """A stand-in command: optionally checks the linked curriculum, writes
    a teacher's curriculum, marks the fold finished, exits with code."""
    d = f'{work}/{name}/fold_{fold}'
    cmd = [f'mkdir -p {d}']
    if check_link:
        cmd.append(f'test -L {d}/curriculum && '
                   f'test -f {d}/curriculum/curriculum_meta.json || exit 7')
    if code:
        return ' && '.join(cmd + [f'exit {code}'])
    if teacher:
        cmd += [f'sleep 0.3', f'mkdir -p {d}/curriculum',
                f'echo {{}} > {d}/curriculum/curriculum_meta.json']
    cmd.append(f'echo {{}} > {d}/cv_fold_metrics.json')
    return ' && '.join(cmd)


def run_queue(plan, work, *args, timeout=60):
    return subprocess.run(
        [sys.executable, TOOL, '--work', str(work), *args], input=plan,
        capture_output=True, text=True, timeout=timeout, cwd=REPO)


def states(work):
    with open(work / 'logs' / 'queue.json') as f:
        return {f"{j['name']}-f{j['fold']}": j['state'] for j in json.load(f)}


def test_parse_plan_attaches_links_and_ignores_other_lines():
    jobs = job_queue.parse_plan([
        '12:00:00 study: data x', 'lane A:',
        'run tc-s0 fold 0: python tools/cross_val.py a b',
        'link tc-s1 fold 0: the curriculum of tc-s0 fold 0',
        'run tc-s1 fold 0: python tools/cross_val.py c',
    ])
    assert [(j.name, j.fold, j.source) for j in jobs] == [
        ('tc-s0', 0, None), ('tc-s1', 0, 'tc-s0')]
    assert jobs[0].cmd == 'python tools/cross_val.py a b'
    with pytest.raises(SystemExit, match='has no "run tc-s1 fold 0"'):
        job_queue.parse_plan(
            ['link tc-s1 fold 0: the curriculum of tc-s0 fold 0'])


def test_linked_runs_wait_for_the_curriculum_and_link_it(tmp_path):
    work = tmp_path / 'work'
    # the linked run is listed before its source finishes; with 3 slots it
    # would start at once if it did not wait
    plan = '\n'.join([
        f"run tc-s0 fold 0: {finish(work, 'tc-s0', 0, teacher=True)}",
        'link tc-s1 fold 0: the curriculum of tc-s0 fold 0',
        f"run tc-s1 fold 0: {finish(work, 'tc-s1', 0, check_link=True)}",
        f"run unet-s0 fold 0: {finish(work, 'unet-s0', 0)}",
    ])
    proc = run_queue(plan, work, '--jobs', '3')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(states(work).values()) == {'done'}
    link = work / 'tc-s1' / 'fold_0' / 'curriculum'
    assert os.readlink(link) == '../../tc-s0/fold_0/curriculum'
    assert (work / 'logs' / 'tc-s1-f0.log').is_file()


def test_finished_runs_are_skipped(tmp_path):
    work = tmp_path / 'work'
    (work / 'a-s0' / 'fold_0').mkdir(parents=True)
    (work / 'a-s0' / 'fold_0' / 'cv_fold_metrics.json').write_text('{}')
    plan = f"run a-s0 fold 0: exit 9\nrun a-s0 fold 1: {finish(work, 'a-s0', 1)}"
    proc = run_queue(plan, work)
    assert proc.returncode == 0, proc.stdout
    assert states(work) == {'a-s0-f0': 'finished before', 'a-s0-f1': 'done'}
    assert '1 of 2 jobs to run' in proc.stdout


def test_a_failed_source_skips_its_dependents_only(tmp_path):
    work = tmp_path / 'work'
    plan = '\n'.join([
        f"run ok-s0 fold 0: {finish(work, 'ok-s0', 0)}",
        f"run tc-s0 fold 0: sleep 0.5; {finish(work, 'tc-s0', 0, code=3)}",
        'link tc-s1 fold 0: the curriculum of tc-s0 fold 0',
        f"run tc-s1 fold 0: {finish(work, 'tc-s1', 0)}",
        f"run ok-s0 fold 1: sleep 0.5; {finish(work, 'ok-s0', 1)}",
    ])
    proc = run_queue(plan, work, '--jobs', '2')
    assert proc.returncode == 1
    assert states(work) == {'ok-s0-f0': 'done', 'tc-s0-f0': 'failed',
                            'tc-s1-f0': 'skipped', 'ok-s0-f1': 'done'}
    assert 'see ' in proc.stdout and 'tc-s0-f0.log' in proc.stdout


def test_a_broken_environment_stops_the_queue(tmp_path):
    work = tmp_path / 'work'
    plan = '\n'.join(f'run r-s0 fold {k}: echo no module named bus_mm; exit 1'
                     for k in range(8))
    proc = run_queue(plan, work, '--jobs', '2')
    assert proc.returncode == 1
    assert 'the first jobs to finish all failed' in proc.stdout
    st = states(work)
    assert list(st.values()).count('not started') >= 4
    assert 'no module named bus_mm' in (
        work / 'logs' / 'r-s0-f0.log').read_text()


def test_the_deadline_stops_running_commands(tmp_path):
    work = tmp_path / 'work'
    proc = run_queue('run slow-s0 fold 0: sleep 60', work, '--deadline', '1',
                     timeout=30)
    assert proc.returncode == 124
    assert states(work) == {'slow-s0-f0': 'stopped'}


def test_bad_input_names_the_fix(tmp_path):
    proc = run_queue('nothing to run here', tmp_path)
    assert proc.returncode != 0
    assert 'DRY_RUN=1' in proc.stderr
    proc = run_queue('', tmp_path, '--jobs', '0')
    assert '--jobs must be at least 1' in proc.stderr
