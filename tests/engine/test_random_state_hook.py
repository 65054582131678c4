"""RandomStateHook: per-iteration seeds and RNG states in checkpoints."""
import io
import random
from types import SimpleNamespace

import numpy as np
import torch

from bus_mm.engine.hooks.random_state_hook import (CKPT_KEY, RandomStateHook,
                                                   iteration_seed)


def _draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def test_iteration_start_is_a_function_of_seed_and_iteration():
    hook = RandomStateHook()
    runner = SimpleNamespace(seed=7, iter=12)
    hook.before_train_iter(runner, 12)
    first = _draws()
    _draws()  # whatever happens in between (validation, a resume...)
    hook.before_train_iter(runner, 12)
    assert _draws() == first
    hook.before_train_iter(SimpleNamespace(seed=7, iter=13), 13)
    assert _draws() != first
    assert iteration_seed(7, 0, 12) != iteration_seed(8, 0, 12)
    assert iteration_seed(7, 0, 12) != iteration_seed(7, 1, 12)


def test_states_survive_a_weights_only_checkpoint_roundtrip():
    import bus_mm  # noqa: F401  (allow-lists the numpy types)
    hook = RandomStateHook(reseed_every_iter=False)
    runner = SimpleNamespace(seed=3, iter=5)
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    expected = _draws()
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    buf.seek(0)
    loaded = torch.load(buf, weights_only=True)
    assert loaded[CKPT_KEY]['seed'] == 3
    hook.after_load_checkpoint(runner, loaded)
    assert _draws() == expected
    hook.before_train_iter(runner, 5)  # disabled: no reseed
    assert _draws() != expected
