"""Protect work dirs: a new run never silently clobbers a different earlier run."""
import glob
import hashlib
import json
import os
import os.path as osp
import time

from mmengine.config import Config

STAMP = 'bus_mm_run.json'


def config_fingerprint(cfg: Config) -> str:
    """A short hash of everything in a config except where it writes to."""
    text = cfg.pretty_text
    lines = [ln for ln in text.splitlines()
             if not ln.startswith(('work_dir', 'resume', 'launcher', 'load_from'))]
    return hashlib.sha256('\n'.join(lines).encode()).hexdigest()[:16]


def _has_checkpoints(work_dir: str) -> bool:
    return osp.isdir(work_dir) and any(
        f.endswith('.pth') or f == 'last_checkpoint' for f in os.listdir(work_dir))


def guard_work_dir(cfg: Config, resume: bool = False,
                   overwrite: bool = False) -> None:
    """Check that ``cfg.work_dir`` may be used by this run, then stamp it.

    * A work dir stamped by a run of a *different* config that saved
      checkpoints is refused unless the run resumes it (e.g. a longer
      schedule) or ``overwrite`` is given. A stamp without checkpoints (a
      run that stopped before saving one, e.g. on a config error) holds
      nothing to lose: the new run takes the work dir over.
    * A work dir holding checkpoints of the same config is refused without
      ``--resume`` (continue it) or ``--overwrite`` (retrain; checkpoints are
      then replaced).

    Args:
        cfg (Config): The run's config (``work_dir`` set).
        resume (bool): The run resumes from the work dir.
        overwrite (bool): The user explicitly allows replacing the run.
    """
    work_dir = cfg.work_dir
    stamp = osp.join(work_dir, STAMP)
    fp = config_fingerprint(cfg)
    if osp.isfile(stamp) and _has_checkpoints(work_dir) and not (
            overwrite or resume):
        with open(stamp) as f:
            old = json.load(f)
        if old.get('fingerprint') != fp:
            raise FileExistsError(
                f'work dir {work_dir!r} holds a run of a different config '
                f'({old.get("config")!r}, started {old.get("time")}). Pass '
                'another --work-dir, or --overwrite to replace that run.')
    if _has_checkpoints(work_dir) and not (resume or overwrite):
        raise FileExistsError(
            f'work dir {work_dir!r} already holds checkpoints of this config. '
            'Pass --resume to continue that run, --overwrite to retrain from '
            'scratch (its checkpoints will be replaced), or another --work-dir.')
    os.makedirs(work_dir, exist_ok=True)
    with open(stamp, 'w') as f:
        json.dump(dict(fingerprint=fp, config=cfg.filename,
                       time=time.strftime('%Y-%m-%d %H:%M:%S')), f, indent=1)


def find_checkpoint(work_dir: str, which: str = 'best') -> str:
    """A finished run's checkpoint: the newest ``best_*.pth`` (when ``which``
    is 'best'), else the one ``last_checkpoint`` names (also when the work dir
    was moved since), else the newest ``*.pth``.

    Args:
        work_dir (str): The run's work dir.
        which (str): 'best' or 'last'.

    Raises:
        FileNotFoundError: The work dir holds no checkpoint.
    """
    if which not in ('best', 'last'):
        raise ValueError(f"which must be 'best' or 'last', got {which!r}")
    pths = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=osp.getmtime)
    best = [p for p in pths if osp.basename(p).startswith('best_')]
    if which == 'best' and best:
        return best[-1]
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            path = f.read().strip()
        for candidate in (path, osp.join(work_dir, osp.basename(path))):
            if osp.isfile(candidate):
                return candidate
    if pths:
        return pths[-1]
    raise FileNotFoundError(f'no checkpoint in {work_dir!r}')
