"""QuantileGate: gamma as the rejected share of recent D scores."""
import pytest
import torch

from bus_mm.models.gates import QuantileGate, build_gate
from tests.models.test_assgan import build, make_batch, make_optim


def _decide(gate, scores):
    """Ask ``gate`` about images whose D patch maps are constant."""
    n = len(scores)
    patch = torch.tensor(scores, dtype=torch.float).view(n, 1, 1, 1) \
        .expand(n, 1, 2, 2)
    prob = torch.full((n, 1, 4, 4), 0.9)
    return gate.decide(patch, prob, torch.ones(n, 1, 4, 4))


def test_rejects_the_lowest_share_of_recent_scores_whatever_their_scale():
    gate = QuantileGate(gamma=0.25, bank_size=8)
    # scores far below 0.5 (where a fixed gamma = 0.5 rejects everything):
    # only the lowest quarter of the buffer is refused
    d = _decide(gate, [0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17])
    assert d.accepted.tolist() == [False, False, True, True, True, True,
                                   True, True]
    assert torch.equal(d.labels, torch.ones(8, 1, 4, 4, dtype=torch.long))
    # the buffer remembers: a lone low score is judged against the history
    assert _decide(gate, [0.105]).accepted.tolist() == [False]
    assert _decide(gate, [0.16]).accepted.tolist() == [True]


def test_gamma_zero_accepts_everything_and_one_nothing():
    assert _decide(QuantileGate(gamma=0.0), [0.3, 0.1, 0.2, 0.1]) \
        .accepted.all()
    assert not _decide(QuantileGate(gamma=1.0), [0.3, 0.1, 0.2]) \
        .accepted.any()


def test_scores_tied_at_the_threshold_are_rejected():
    # a mask-only D scores every empty mask the same: when empty masks fill
    # the lowest share of the buffer, all of them are refused
    gate = QuantileGate(gamma=0.2, bank_size=10)
    d = _decide(gate, [0.45] * 4 + [0.5, 0.6, 0.55, 0.52, 0.51, 0.58])
    assert d.accepted.tolist() == [False] * 4 + [True] * 6


def test_ring_buffer_keeps_the_newest_scores():
    gate = QuantileGate(gamma=0.5, bank_size=4)
    _decide(gate, [0.1, 0.2, 0.3])
    _decide(gate, [0.7, 0.8, 0.9])
    assert sorted(gate.bank.tolist()) == pytest.approx([0.3, 0.7, 0.8, 0.9])
    assert int(gate.bank_ptr) == 2
    assert gate.threshold() == pytest.approx(0.75)
    _decide(gate, [0.5] * 6)  # more than the buffer holds: newest 4 kept
    assert gate.bank.tolist() == pytest.approx([0.5] * 4)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match='bank_size'):
        QuantileGate(bank_size=0)
    with pytest.raises(ValueError, match='gamma'):
        QuantileGate(gamma=1.2)


def test_buffer_is_in_the_checkpoint_so_a_resume_keeps_the_threshold():
    torch.manual_seed(0)
    model = build(semi_start=0, gate=dict(type='QuantileGate', gamma=0.5,
                                          bank_size=16))
    assert isinstance(model.gate, QuantileGate) and model.gamma == 0.5
    log = model.train_step(make_batch(2, 4), make_optim(model))
    # 4 unlabeled images judged for each of the two generators
    assert torch.isfinite(model.gate.bank).sum() == 8
    assert log['accepted_a'] <= 4 and log['accepted_b'] <= 4
    state = model.state_dict()
    assert {'gate.bank', 'gate.bank_ptr'} <= set(state)
    fresh = build(semi_start=0, gate=dict(type='QuantileGate', gamma=0.5,
                                          bank_size=16))
    fresh.load_state_dict(state)
    assert torch.equal(fresh.gate.bank.nan_to_num(-1),
                       model.gate.bank.nan_to_num(-1))
    assert fresh.gate.threshold() == model.gate.threshold()


def test_registered_and_built_from_a_config_dict():
    gate = build_gate(dict(type='QuantileGate', gamma=0.1, with_image=True))
    assert isinstance(gate, QuantileGate) and gate.with_image \
        and gate.binarize and gate.gamma == 0.1
    assert 'QuantileGate(gamma=0.1' in repr(gate)


def test_the_adaptive_threshold_is_logged_in_algorithm_2_only():
    torch.manual_seed(0)
    model = build(semi_start=1, gate=dict(type='QuantileGate'))
    optim = make_optim(model)
    assert 'gate_threshold' not in model.train_step(make_batch(2, 2), optim)
    log = model.train_step(make_batch(2, 2, seed=1), optim)
    assert log['gate_threshold'] == pytest.approx(model.gate.threshold())
    assert 0. < log['gate_threshold'] < 1.
