"""find_checkpoint: which checkpoint of a finished run is evaluated."""
import os
import time

import pytest

from bus_mm.engine.run_guard import find_checkpoint


def touch(path, age):
    path.write_bytes(b'x')
    t = time.time() - age
    os.utime(path, (t, t))
    return str(path)


def test_best_then_last_then_newest(tmp_path):
    with pytest.raises(FileNotFoundError):
        find_checkpoint(str(tmp_path))
    newest = touch(tmp_path / 'iter_900.pth', 10)
    assert find_checkpoint(str(tmp_path)) == newest
    last = touch(tmp_path / 'iter_1000.pth', 20)
    # last_checkpoint written on another machine: found by its name here
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/run/iter_1000.pth')
    assert find_checkpoint(str(tmp_path), 'best') == last
    touch(tmp_path / 'best_IoU_iter_900.pth', 30)
    best = touch(tmp_path / 'best_IoU_iter_1000.pth', 5)  # newer, not sorted by name
    assert find_checkpoint(str(tmp_path)) == best
    assert find_checkpoint(str(tmp_path), 'last') == last
    with pytest.raises(ValueError):
        find_checkpoint(str(tmp_path), 'first')
