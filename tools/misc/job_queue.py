"""Run a study's training commands N at a time (a GPU runs many small
trainings side by side; the CPU lanes of the study scripts run two).

Reads the plan that ``DRY_RUN=1 bash scripts/taichinet_power_study.sh ...``
prints, from a file or stdin; two kinds of line matter, the others are
ignored::

    run NAME fold K: COMMAND
    link NAME fold K: the curriculum of SRC fold K

Jobs start in the order listed (the study lists the runs that train and mine
each fold's teacher first). A ``link`` job waits until ``SRC``'s fold has its
curriculum (``WORK/SRC/fold_K/curriculum/curriculum_meta.json``; an
absolute ``SRC`` is another study's run), links it into
``WORK/NAME/fold_K/curriculum`` and then runs. A job whose
``WORK/NAME/fold_K/cv_fold_metrics.json`` exists is skipped, so rerunning
the same plan continues a killed study. A failed job's dependents are not
run; if the first jobs to finish all fail (a broken environment, a wrong
path) the queue stops instead of failing every job. Each job logs to
``LOGS/NAME-fK.log``; ``LOGS/queue.json`` records every job's state and time.

Example (twelve trainings at once on one GPU)::

    DRY_RUN=1 bash scripts/taichinet_power_study.sh data/BUSI work 32 \\
        | python tools/misc/job_queue.py --work work --jobs 12

``JOBS=12 bash scripts/taichinet_power_study.sh data/BUSI work 32`` does the
same and then writes the study's summaries.
"""
import argparse
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

RUN = re.compile(r'run (\S+) fold (\d+): (.+)$')
LINK = re.compile(r'link (\S+) fold (\d+): the curriculum of (\S+) fold (\d+)')
STOP_AFTER_FAILURES = 3  # the first finished jobs all failed: stop


@dataclass
class Job:
    """One training command of the plan.

    Args:
        name (str): The run's name (its folder under the work dir).
        fold (int): The fold.
        cmd (str): The command line (bash syntax).
        source (str, optional): The run whose curriculum of this fold the job
            links before it starts.
    """
    name: str
    fold: int
    cmd: str
    source: Optional[str] = None
    state: str = 'pending'
    returncode: Optional[int] = None
    seconds: Optional[float] = None
    started: Optional[float] = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return f'{self.name}-f{self.fold}'


def parse_plan(lines) -> List[Job]:
    """The jobs of a dry-run plan, in order; ``link`` lines become the
    source of the job of the same name and fold."""
    jobs: Dict[tuple, Job] = {}
    sources = {}
    for line in lines:
        line = line.strip()
        m = RUN.match(line)
        if m:
            jobs[(m[1], int(m[2]))] = Job(m[1], int(m[2]), m[3])
            continue
        m = LINK.match(line)
        if m:
            sources[(m[1], int(m[2]))] = m[3]
    for key, src in sources.items():
        if key not in jobs:
            raise SystemExit(f'plan: "link {key[0]} fold {key[1]}" has no '
                             f'"run {key[0]} fold {key[1]}" line')
        jobs[key].source = src
    return list(jobs.values())


class Queue:
    """Runs :class:`Job` s ``jobs`` at a time under ``work``.

    Args:
        jobs_list (list[Job]): The plan.
        work (str): The study's work dir (the runs' folders).
        jobs (int): How many commands run at once.
        logs (str): Where each job's log and ``queue.json`` go.
        deadline (float, optional): Seconds after which no job starts and
            the running ones are stopped (SIGTERM, then SIGKILL).
        poll (float): Seconds between checks.
    """

    def __init__(self, jobs_list: List[Job], work: str, jobs: int, logs: str,
                 deadline: Optional[float] = None, poll: float = 2.0):
        self.jobs, self.work, self.n, self.logs = jobs_list, work, jobs, logs
        self.deadline, self.poll = deadline, poll
        self.procs: Dict[str, subprocess.Popen] = {}
        self.t0 = time.time()

    def say(self, msg: str) -> None:
        print(f'{time.strftime("%H:%M:%S")} {msg}', flush=True)

    def fold_dir(self, name: str, fold: int) -> str:
        return osp.join(self.work, name, f'fold_{fold}')

    def finished(self, job: Job) -> bool:
        return osp.isfile(
            osp.join(self.fold_dir(job.name, job.fold), 'cv_fold_metrics.json'))

    def ready(self, job: Job) -> bool:
        """Whether ``job`` can start (linking its source's curriculum);
        marks it skipped when its source failed."""
        if job.source is None:
            return True
        src = next((j for j in self.jobs
                    if (j.name, j.fold) == (job.source, job.fold)), None)
        if src is not None and src.state in ('failed', 'skipped'):
            job.state = 'skipped'
            self.say(f'skip   {job.key}: {src.key} {src.state}')
            return False
        cur = osp.join(self.fold_dir(job.source, job.fold), 'curriculum')
        if not osp.isfile(osp.join(cur, 'curriculum_meta.json')):
            return False
        dst = self.fold_dir(job.name, job.fold)
        os.makedirs(dst, exist_ok=True)
        if not osp.lexists(osp.join(dst, 'curriculum')):
            os.symlink(osp.join('..', '..', job.source, f'fold_{job.fold}',
                                'curriculum'), osp.join(dst, 'curriculum'))
        return True

    def start(self, job: Job) -> None:
        log = open(osp.join(self.logs, f'{job.key}.log'), 'a')
        self.procs[job.key] = subprocess.Popen(
            job.cmd, shell=True, executable='/bin/bash', stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        job.state, job.started = 'running', time.time()
        self.say(f'start  {job.key}')

    def reap(self) -> None:
        for job in self.jobs:
            proc = self.procs.get(job.key)
            if job.state != 'running' or proc.poll() is None:
                continue
            job.returncode = proc.returncode
            job.seconds = round(time.time() - job.started, 1)
            job.state = 'done' if proc.returncode == 0 else 'failed'
            self.say(f'{job.state:6} {job.key} ({job.seconds:.0f} s' + (
                f', exit {proc.returncode}, see {self.logs}/{job.key}.log)'
                if job.state == 'failed' else ')'))

    def broken(self) -> bool:
        """The first jobs to finish all failed: the environment is wrong."""
        ended = [j for j in self.jobs if j.state in ('done', 'failed')]
        return (len(ended) >= min(STOP_AFTER_FAILURES, len(self.jobs))
                and all(j.state == 'failed' for j in ended))

    def stop_all(self, why: str) -> None:
        running = [j for j in self.jobs if j.state == 'running']
        for job in running:
            self.say(f'stop   {job.key}: {why}')
            os.killpg(self.procs[job.key].pid, signal.SIGTERM)
        for job in running:
            try:
                self.procs[job.key].wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.procs[job.key].pid, signal.SIGKILL)
            job.state = 'stopped'

    def run(self) -> int:
        """Runs the plan; 0 when every job finished, 1 when one failed or
        was skipped, 124 at the deadline."""
        os.makedirs(self.logs, exist_ok=True)
        for job in self.jobs:
            if self.finished(job):
                job.state = 'finished before'
        todo = sum(j.state == 'pending' for j in self.jobs)
        self.say(f'{todo} of {len(self.jobs)} jobs to run, {self.n} at a time')
        code = 0
        while True:
            self.reap()
            if self.broken():
                self.stop_all('the first jobs to finish all failed')
                self.say('stopped: the first jobs to finish all failed; '
                         'fix what their logs name, then rerun')
                code = 1
                break
            if self.deadline is not None and \
                    time.time() - self.t0 > self.deadline:
                self.stop_all('deadline')
                code = 124
                break
            running = sum(j.state == 'running' for j in self.jobs)
            for job in self.jobs:
                if running >= self.n:
                    break
                if job.state == 'pending' and self.ready(job):
                    self.start(job)
                    running += 1
            if running == 0 and not any(
                    j.state == 'pending' and self.ready(j) for j in self.jobs):
                break
            time.sleep(self.poll)
        waiting = [j for j in self.jobs if j.state == 'pending']
        for job in waiting:
            job.state = 'not started'
        if code == 0 and any(j.state != 'done' and j.state != 'finished before'
                             for j in self.jobs):
            code = 1
        with open(osp.join(self.logs, 'queue.json'), 'w') as f:
            json.dump([{k: v for k, v in asdict(j).items() if k != 'started'}
                       for j in self.jobs], f, indent=1)
        counts = {}
        for j in self.jobs:
            counts[j.state] = counts.get(j.state, 0) + 1
        self.say('queue: ' + ', '.join(f'{n} {s}' for s, n in counts.items()))
        return code


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('plan', nargs='?', default='-',
                        help="the dry run's output (default: stdin)")
    parser.add_argument('--work', required=True,
                        help="the study's work dir, as in the plan")
    parser.add_argument('--jobs', type=int, default=2,
                        help='commands at once (default 2)')
    parser.add_argument('--logs', help='log folder (default WORK/logs)')
    parser.add_argument('--deadline', type=float,
                        help='seconds after which running jobs are stopped '
                        '(rerun the plan to continue them)')
    parser.add_argument('--only', help='run only jobs NAME-fK matching '
                        'this regular expression')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be at least 1, got {args.jobs}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.plan == '-':
        lines = sys.stdin.read().splitlines()
    else:
        with open(args.plan) as f:
            lines = f.read().splitlines()
    jobs = parse_plan(lines)
    if not jobs:
        raise SystemExit(f'{args.plan}: no "run NAME fold K: COMMAND" line '
                         '(give it the output of the study script with '
                         'DRY_RUN=1)')
    if args.only:
        jobs = [j for j in jobs if re.fullmatch(args.only, j.key)]
    work = osp.abspath(args.work)
    return Queue(jobs, work, args.jobs, args.logs or osp.join(work, 'logs'),
                 args.deadline).run()


if __name__ == '__main__':
    sys.exit(main())
