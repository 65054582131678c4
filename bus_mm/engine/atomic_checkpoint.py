"""Crash-safe checkpoints: atomic writes, and a resume that skips unreadable files.

mmengine 0.10.7 writes a checkpoint straight to its final name, so a process
killed during ``torch.save`` (or a full disk) leaves a truncated
``iter_N.pth``. Its ``CheckpointHook`` also deletes the oldest kept checkpoint
*before* writing the new one and then rewrites ``last_checkpoint`` in place.

bus_mm makes every local checkpoint write atomic: the runner's
``save_checkpoint`` writes ``<name>.tmp-<pid>``, flushes it to disk and then
renames it over ``<name>`` (:func:`os.replace` is atomic on POSIX). A file
named ``*.pth`` is therefore always complete, and ``last_checkpoint``, which
mmengine writes only after the save returns, never names a half-written file.
:func:`select_resume_checkpoint` covers what is left: a ``last_checkpoint``
that is empty (killed while being rewritten) or names a missing or corrupt
file (written by an older version, a damaged disk, a copy cut short); it says
which file is unusable and falls back to the newest readable checkpoint.
"""
import glob
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional

from mmengine.logging import print_log

_TMP_TAG = '.tmp-'


def atomic_torch_save(save_fn, checkpoint: dict, filename: str,
                      *args, **kwargs) -> None:
    """Call ``save_fn(checkpoint, tmp, ...)``, fsync ``tmp``, rename it to
    ``filename``. Remote paths (``s3://``, ``pavi://``...) go straight through.

    Args:
        save_fn (callable): mmengine's ``save_checkpoint``.
        checkpoint (dict): What to save.
        filename (str): Final path.
    """
    if '://' in str(filename):
        return save_fn(checkpoint, filename, *args, **kwargs)
    filename = str(filename)
    tmp = f'{filename}{_TMP_TAG}{os.getpid()}'
    try:
        save_fn(checkpoint, tmp, *args, **kwargs)
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    try:  # make the rename itself durable
        fd = os.open(osp.dirname(osp.abspath(filename)), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def install_atomic_checkpoint_saving() -> None:
    """Route the mmengine runner's checkpoint writes through
    :func:`atomic_torch_save` (idempotent)."""
    import mmengine.runner.runner as runner_module
    current = runner_module.save_checkpoint
    if getattr(current, '_bus_mm_atomic', False):
        return

    def save_checkpoint(checkpoint, filename, *args, **kwargs):
        atomic_torch_save(current, checkpoint, filename, *args, **kwargs)

    save_checkpoint._bus_mm_atomic = True
    save_checkpoint.__doc__ = current.__doc__
    runner_module.save_checkpoint = save_checkpoint


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a complete torch checkpoint, or None if it is.

    Reads the zip container torch writes (every member's CRC), without
    unpickling anything.
    """
    if not osp.isfile(path):
        return 'the file does not exist'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    if not zipfile.is_zipfile(path):
        return ('it is not a complete torch checkpoint (truncated, or not '
                'written by torch.save)')
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        return f'it cannot be read ({e})'
    if bad is not None:
        return f'its member {bad!r} is corrupt (CRC mismatch)'
    return None


def _step(path: str) -> int:
    m = re.search(r'(\d+)\.pth$', osp.basename(path))
    return int(m.group(1)) if m else -1


def _candidates(work_dir: str) -> List[str]:
    """``iter_*.pth`` / ``epoch_*.pth`` of a work dir, newest step first."""
    pths = glob.glob(osp.join(work_dir, 'iter_*.pth')) + glob.glob(
        osp.join(work_dir, 'epoch_*.pth'))
    return sorted(pths, key=lambda p: (_step(p), osp.getmtime(p)),
                  reverse=True)


def has_resumable_checkpoint(work_dir: str) -> bool:
    """Whether ``work_dir`` holds a run to resume: a ``last_checkpoint`` file
    (even an empty one) or an ``iter_*.pth`` / ``epoch_*.pth``."""
    return osp.isfile(osp.join(work_dir, 'last_checkpoint')) or bool(
        _candidates(work_dir))


def select_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` should continue from.

    It is the file ``last_checkpoint`` names (also looked for in ``work_dir``
    when the work dir was moved) if it is complete; otherwise the newest
    complete ``iter_*.pth`` / ``epoch_*.pth``, with a warning naming every
    file skipped and why. Leftover temporary files of interrupted writes are
    removed.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str or None: The checkpoint, or None when the work dir holds none
        (the run then starts from scratch, as mmengine does).

    Raises:
        SystemExit: Checkpoints exist but none is readable.
    """
    for tmp in glob.glob(osp.join(work_dir, f'*.pth{_TMP_TAG}*')):
        print_log(f'removing {tmp}: the rest of a checkpoint write that was '
                  'interrupted', logger='current')
        os.remove(tmp)
    named = None
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            named = f.read().strip()
        if not named:
            print_log(f'{last} is empty (the run was killed while writing it); '
                      'looking for the newest readable checkpoint instead.',
                      logger='current', level=30)
    ordered = []
    if named:
        moved = osp.join(work_dir, osp.basename(named))
        ordered.append(named if osp.isfile(named) or not osp.isfile(moved)
                       else moved)
    ordered += [p for p in _candidates(work_dir)
                if osp.abspath(p) not in {osp.abspath(q) for q in ordered}]
    skipped = []
    for path in ordered:
        problem = checkpoint_problem(path)
        if problem is None:
            if skipped:
                print_log('cannot resume from ' + '; '.join(skipped)
                          + f'. Resuming from the previous checkpoint {path} '
                          'instead.', logger='current', level=30)
            return path
        skipped.append(f'{path} ({problem})')
    if skipped:
        raise SystemExit(
            f'--resume: no readable checkpoint in {work_dir!r}: '
            + '; '.join(skipped) + '. Delete the broken files and rerun '
            'without --resume (with --overwrite) to start again.')
    return None
