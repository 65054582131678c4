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


class _OnDevice:
    """Stands for an RNG state that ``map_location`` put on a GPU: torch's
    setters reject it; only its ``.cpu()`` copy is a ByteTensor."""

    def __init__(self, tensor):
        self.tensor = tensor

    def cpu(self):
        return self.tensor


def test_restore_hands_torch_cpu_states_when_the_checkpoint_was_mapped_to_gpu(
        monkeypatch):
    """A resumed GPU run loads its checkpoint onto CUDA; torch.set_rng_state
    and torch.cuda.set_rng_state_all take CPU ByteTensors only."""
    from bus_mm.engine.hooks.random_state_hook import (capture_random_state,
                                                       restore_random_state)
    state = capture_random_state()
    cuda_state = torch.random.get_rng_state()  # any ByteTensor will do
    got = {}
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    monkeypatch.setattr(torch.cuda, 'set_rng_state_all',
                        lambda states: got.setdefault('cuda', states))
    expected = _draws()
    restore_random_state(dict(state, torch=_OnDevice(state['torch']),
                              cuda=[_OnDevice(cuda_state)]))
    assert _draws() == expected
    assert len(got['cuda']) == 1 and torch.equal(got['cuda'][0], cuda_state)
    assert got['cuda'][0].dtype == torch.uint8
