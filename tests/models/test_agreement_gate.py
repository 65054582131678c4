"""AgreementGate: the other generator's mask judges a pseudo-label."""
import pytest
import torch

from bus_mm.models.gates import AgreementGate, ScoreBank, mask_agreement
from mmseg.registry import MODELS
from tests.models.test_assgan import (GENS, build, make_batch, make_optim,
                                      same, snapshot)


def _square(n, top, size=8, side=4):
    """(n, 1, size, size) lesion probabilities: 0.9 on a square whose top
    row is ``top``, 0.1 elsewhere."""
    prob = torch.full((n, 1, size, size), 0.1)
    prob[:, :, top:top + side, 2:2 + side] = 0.9
    return prob


def _judge(gate, mine, partner, valid=None):
    """Judge generator A's masks ``mine`` against B's ``partner``."""
    valid = torch.ones_like(mine) if valid is None else valid
    return gate.judge({'generator_a': mine, 'generator_b': partner},
                      {'generator_a': 0.5, 'generator_b': 0.5}, valid)


# the partner's square is shifted by 0, 1, 2 and 3 rows (the last one
# clipped to 3 rows by the border): IoU 1, 3/5, 1/3, 4/24
MINE = _square(4, top=2)
PARTNER = torch.cat([_square(1, top=t) for t in (2, 3, 4, 5)])
SCORES = [1., 0.6, 1 / 3, 1 / 6]


def test_agreement_is_the_iou_of_the_two_hard_masks():
    a = torch.zeros(3, 1, 4, 4, dtype=torch.bool)
    b = torch.zeros(3, 1, 4, 4, dtype=torch.bool)
    a[0, :, :2, :2] = True
    b[0, :, :2, :] = True       # overlap 4 of a union of 8
    a[1, :, :2, :2] = True
    b[1, :, 2:, 2:] = True      # disjoint
    valid = torch.ones(3, 1, 4, 4)
    got = mask_agreement(a, b, valid, empty_score=0.3)
    assert got.tolist() == pytest.approx([0.5, 0.0, 0.3])  # [2]: both empty
    # padding does not count: B's extra pixels lie in the padding
    valid[0, :, :, 2:] = 0
    assert mask_agreement(a, b, valid)[0] == pytest.approx(1.0)


def test_cut_rejects_the_least_agreeing_share_of_recent_images():
    gate = AgreementGate(gamma=0.5, weighting='cut', bank_size=8)
    out = _judge(gate, MINE, PARTNER)
    assert list(out) == list(GENS)
    for name in GENS:
        d = out[name]
        # one score per image pair, the same for both generators
        assert d.scores.tolist() == pytest.approx(SCORES)
        assert d.weights.tolist() == [1., 1., 0., 0.]
        assert d.accepted.tolist() == [True, True, False, False]
    # pseudo-labels are each generator's own hard mask, never the other's
    assert torch.equal(out['generator_a'].labels, (MINE > 0.5).long())
    assert torch.equal(out['generator_b'].labels, (PARTNER > 0.5).long())
    # both generators' scores entered the bank
    assert torch.isfinite(gate.recent.bank).sum() == 8
    # the bank remembers: a lone score is ranked against the history
    one = _judge(gate, MINE[:1], _square(1, top=4))['generator_a']
    assert one.scores.tolist() == pytest.approx([1 / 3])
    assert one.accepted.tolist() == [False]
    one = _judge(gate, MINE[:1], _square(1, top=3))['generator_a']
    assert one.accepted.tolist() == [True]


def test_rank_weights_are_mid_ranks_in_0_1_and_the_lowest_share_gets_0():
    torch.manual_seed(0)
    gate = AgreementGate(gamma=0.3, weighting='rank', bank_size=64)
    bank = gate.recent
    scores = torch.rand(20)
    w = gate.weigh(scores, bank)
    cut = bank.quantile(0.3)
    assert ((w > 0) == (scores > cut)).all()
    assert (w[w > 0] <= 1).all() and (w[w > 0] > 0).all()
    # the weight is the share of the bank below the score
    want = (scores[:, None] > scores[None]).float().mean(1) + 0.5 / 20
    assert torch.allclose(w[w > 0], want[w > 0])
    # the highest score weighs (n - 1/2) / n, ties share a mid-rank
    assert w.max() == pytest.approx(19.5 / 20)
    tie = AgreementGate(gamma=0., weighting='rank').weigh(
        torch.tensor([0.5, 0.5, 0.5, 0.9]), ScoreBank(8))
    assert tie.tolist() == pytest.approx([1.5 / 4] * 3 + [3.5 / 4])
    # cut: the same verdicts, weight 1
    cut_gate = AgreementGate(gamma=0.3, weighting='cut', bank_size=64)
    wc = cut_gate.weigh(scores, cut_gate.recent)
    assert torch.equal(wc > 0, w > 0) and set(wc.tolist()) <= {0., 1.}


@pytest.mark.parametrize('weighting,want_a,want_b', [
    ('cut', [1., 1., 0., 0.], [1., 1., 1., 0.]),
    ('rank', [7.5 / 8, 6.5 / 8, 0., 0.], [7 / 8, 5 / 8, 3 / 8, 0.]),
])
def test_a_enters_the_bank_before_b_is_ranked(weighting, want_a, want_b):
    """Both generators are judged in one call, A first: A's scores join the
    bank before B's are ranked, so A and B see different thresholds.

    Bank of 8 holding four 0.5s. A: bank = 4 x 0.5 + A's four scores, the
    0.25-quantile 1/3 + 0.75 (0.5 - 1/3) = 0.458 keeps 1 and 0.6. B: its
    scores overwrite the four 0.5s, bank = A's + B's scores, the
    0.25-quantile 1/6 + 0.75 (1/3 - 1/6) = 0.292 also keeps 1/3."""
    gate = AgreementGate(gamma=0.25, weighting=weighting, bank_size=8)
    gate.recent.remember(torch.full((4, ), 0.5))
    out = _judge(gate, MINE, PARTNER)
    assert out['generator_a'].weights.tolist() == pytest.approx(want_a)
    assert out['generator_b'].weights.tolist() == pytest.approx(want_b)
    assert sorted(gate.recent.bank.tolist()) == pytest.approx(
        sorted(SCORES * 2))
    assert gate.log_vars()['gate_threshold'] == pytest.approx(
        1 / 6 + 0.75 * (1 / 3 - 1 / 6))


def test_empty_pairs_score_empty_score_and_padding_is_ignored():
    gate = AgreementGate(gamma=0.0)
    empty = torch.zeros(1, 1, 8, 8)
    d = _judge(gate, empty, empty)['generator_a']
    assert d.scores.tolist() == [0.0] and d.accepted.all()
    assert _judge(AgreementGate(gamma=0.0, empty_score=1.0), empty,
                  empty)['generator_b'].scores.tolist() == [1.0]
    valid = torch.ones(1, 1, 8, 8)
    valid[..., 6:] = 0
    d = _judge(gate, _square(1, 2), _square(1, 2), valid)['generator_a']
    assert (d.labels[..., 6:] == 255).all() and (d.labels[..., :6] < 2).all()


def test_bad_options_and_a_missing_partner_are_refused():
    with pytest.raises(ValueError, match='empty_score'):
        AgreementGate(empty_score=2)
    with pytest.raises(ValueError, match='gamma'):
        AgreementGate(gamma=-0.1)
    with pytest.raises(ValueError, match='weighting'):
        AgreementGate(weighting='soft')
    with pytest.raises(ValueError, match='bank_size'):
        AgreementGate(bank_size=0)
    gate = AgreementGate()
    with pytest.raises(ValueError, match='gamma'):
        gate.gamma = 1.5
    with pytest.raises(ValueError, match='generator_b'):
        gate.judge({'generator_a': _square(2, 2)}, {'generator_a': 0.5},
                   torch.ones(2, 1, 8, 8))
    # ASSGAN refuses it with one generator, before training starts
    with pytest.raises(ValueError, match='generator_b'):
        build(two=False, gate=dict(type='AgreementGate'))


def test_registered_and_its_bank_is_in_the_checkpoint():
    gate = MODELS.build(dict(type='AgreementGate', gamma=0.3, empty_score=1,
                             weighting='rank', bank_size=16))
    assert isinstance(gate, AgreementGate) and gate.gamma == 0.3
    assert "AgreementGate(\n  gamma=0.3, weighting='rank', empty_score=1.0" \
        in repr(gate)
    assert not gate.needs_discriminator and gate.needs_pair
    assert set(gate.state_dict()) == {'recent.bank', 'recent.bank_ptr'}
    assert gate.recent.bank.numel() == 16


def _fixed_unlabeled_masks(model, monkeypatch, tops_a, tops_b):
    """Make the generators' unlabeled predictions squares at the given top
    rows (labeled predictions and logits untouched)."""
    forward = model.forward_generators

    def patched(batch, optim_wrapper):
        outs = forward(batch, optim_wrapper)
        size, nl = batch.x.shape[-1], batch.nl
        for name, tops in (('generator_a', tops_a), ('generator_b', tops_b)):
            prob = torch.cat([_square(1, t, size, size // 3) for t in tops])
            outs[name].prob = torch.cat([outs[name].prob[:nl], prob])
        return outs
    monkeypatch.setattr(model, 'forward_generators', patched)


@pytest.mark.parametrize('disc', [False, True])
def test_assgan_judges_by_agreement_with_or_without_d(disc, monkeypatch):
    torch.manual_seed(0)
    model = build(disc=disc, semi=True, semi_train_cfg=dict(lambda_adv=0.),
                  gate=dict(type='AgreementGate', gamma=0.5, bank_size=16))
    optim = make_optim(model)
    assert ('discriminator' in optim.keys()) == disc
    # B agrees with A on images 0 and 1, less on 2, not at all on 3
    _fixed_unlabeled_masks(model, monkeypatch, [4, 4, 4, 4], [4, 5, 8, 16])
    d_calls = []
    if disc:
        model.discriminator.register_forward_pre_hook(
            lambda m, a: d_calls.append(a[0].size(0)))
    gen_b = snapshot(model.generator_b)
    log = model.train_step(make_batch(2, 4), optim)
    assert torch.isfinite(model.gate.recent.bank).sum() == 8
    assert log['gate_threshold'] == pytest.approx(
        model.gate.recent.quantile(0.5))
    assert log['score_unlabeled_a'] == pytest.approx(
        (1 + 9 / 11 + 6 / 14 + 0) / 4)
    assert log['pair_iou'] == pytest.approx(log['score_unlabeled_a'])
    # the same pair of masks gives both generators the same score: the
    # agreeing half passes for both
    assert log['accepted_a'] == 2 and log['accepted_b'] == 2
    assert model.last_accepted_ids['a'] == ['img2', 'img3']
    assert model.last_accepted_ids['b'] == ['img2', 'img3']
    assert log['loss_semi_b'] > 0 and not same(snapshot(model.generator_b),
                                                gen_b)
    # the gate does not ask D: only D's own step runs it
    assert len(d_calls) == (1 if disc else 0)
    assert {'gate.recent.bank', 'gate.recent.bank_ptr'} <= set(
        model.state_dict())


def test_a_resumed_model_keeps_the_gates_threshold():
    torch.manual_seed(0)
    model = build(semi=True, disc=False,
                  gate=dict(type='AgreementGate', gamma=0.5, bank_size=16))
    model.train_step(make_batch(2, 4), make_optim(model))
    fresh = build(disc=False,
                  gate=dict(type='AgreementGate', gamma=0.5, bank_size=16))
    assert torch.isnan(fresh.gate.recent.bank).all()
    fresh.load_state_dict(model.state_dict())
    assert same(fresh.gate.state_dict(), model.gate.state_dict())
    assert fresh.gate.log_vars() == model.gate.log_vars()
