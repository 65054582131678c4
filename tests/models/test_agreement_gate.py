"""AgreementGate: the other generator's mask judges a pseudo-label."""
import pytest
import torch

from bus_mm.models.gates import AgreementGate, build_gate, mask_agreement
from tests.models.test_assgan import (build, make_batch, make_optim, same,
                                      snapshot)


def _square(n, top, size=8, side=4):
    """(n, 1, size, size) lesion probabilities: 0.9 on a square whose top
    row is ``top``, 0.1 elsewhere."""
    prob = torch.full((n, 1, size, size), 0.1)
    prob[:, :, top:top + side, 2:2 + side] = 0.9
    return prob


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


def test_the_least_agreeing_share_of_recent_images_is_rejected():
    gate = AgreementGate(gamma=0.5, bank_size=8)
    mine = _square(4, top=2)
    # the partner's square is shifted by 0, 1, 2 and 3 rows (the last one
    # clipped to 3 rows by the border): IoU 1, 3/5, 1/3, 4/24
    partner = torch.cat([_square(1, top=t) for t in (2, 3, 4, 5)])
    d = gate.judge(None, mine, None, torch.ones(4, 1, 8, 8), 0.5,
                   partner=partner, partner_threshold=0.5)
    assert d.scores.tolist() == pytest.approx([1., 0.6, 1 / 3, 1 / 6])
    assert d.accepted.tolist() == [True, True, False, False]
    # pseudo-labels are this generator's own hard masks, never the partner's
    assert torch.equal(d.labels, (mine > 0.5).long())
    # the buffer remembers: a lone score is ranked against the history
    one = gate.judge(None, mine[:1], None, torch.ones(1, 1, 8, 8), 0.5,
                     partner=_square(1, top=4))
    assert one.accepted.tolist() == [False]


def test_empty_pairs_score_empty_score_and_padding_is_ignored():
    gate = AgreementGate(gamma=0.0)
    empty = torch.zeros(1, 1, 8, 8)
    d = gate.judge(None, empty, None, torch.ones(1, 1, 8, 8), partner=empty)
    assert d.scores.tolist() == [0.0] and d.accepted.all()
    assert AgreementGate(gamma=0.0, empty_score=1.0).judge(
        None, empty, None, torch.ones(1, 1, 8, 8),
        partner=empty).scores.tolist() == [1.0]
    valid = torch.ones(1, 1, 8, 8)
    valid[..., 6:] = 0
    d = gate.judge(None, _square(1, 2), None, valid, partner=_square(1, 2))
    assert (d.labels[..., 6:] == 255).all() and (d.labels[..., :6] < 2).all()


def test_bad_options_and_missing_partner_are_refused():
    with pytest.raises(ValueError, match='empty_score'):
        AgreementGate(empty_score=2)
    with pytest.raises(ValueError, match='gamma'):
        AgreementGate(gamma=-0.1)
    with pytest.raises(ValueError, match='generator_b'):
        AgreementGate().judge(None, _square(2, 2), None,
                              torch.ones(2, 1, 8, 8))
    # ASSGAN refuses it with one generator, before training starts, and
    # with GCT's pairwise rule (both generators get the same score, so the
    # rule would silently reject everything)
    with pytest.raises(ValueError, match='generator_b'):
        build(two=False, gate=dict(type='AgreementGate'))
    with pytest.raises(ValueError, match='pairwise_gate=False'):
        build(disc=False, pairwise_gate=True, gate=dict(type='AgreementGate'))


def test_registered_and_in_the_checkpoint():
    gate = build_gate(dict(type='AgreementGate', gamma=0.3, empty_score=1))
    assert isinstance(gate, AgreementGate) and gate.gamma == 0.3
    assert 'AgreementGate(gamma=0.3, empty_score=1.0' in repr(gate)
    assert not gate.needs_discriminator and gate.uses_partner


def _fixed_unlabeled_masks(model, monkeypatch, tops_a, tops_b):
    """Make the generators' unlabeled predictions squares at the given top
    rows (labeled predictions and logits untouched)."""
    forward = model._forward_generators

    def patched(optim_wrapper, x, nl, nu, valid):
        outs = forward(optim_wrapper, x, nl, nu, valid)
        size = x.shape[-1]
        for name, tops in (('generator_a', tops_a), ('generator_b', tops_b)):
            prob = torch.cat([_square(1, t, size, size // 3) for t in tops])
            outs[name]['prob'] = torch.cat([outs[name]['prob'][:nl], prob])
        return outs
    monkeypatch.setattr(model, '_forward_generators', patched)


@pytest.mark.parametrize('disc', [False, True])
def test_assgan_judges_by_agreement_with_or_without_d(disc, monkeypatch):
    torch.manual_seed(0)
    model = build(disc=disc, semi_start=0, lambda_adv=0.0,
                  gate=dict(type='AgreementGate', gamma=0.5, bank_size=16))
    optim = make_optim(model)
    assert ('discriminator' in optim.keys()) == disc
    # B agrees with A on images 0 and 1, less on 2, not at all on 3
    _fixed_unlabeled_masks(model, monkeypatch, [4, 4, 4, 4], [4, 5, 8, 16])
    gen_b = snapshot(model.generator_b)
    log = model.train_step(make_batch(2, 4), optim)
    assert torch.isfinite(model.gate.bank).sum() == 8
    assert log['gate_threshold'] == pytest.approx(model.gate.threshold())
    assert 'score_unlabeled_a' in log and 'score_unlabeled_b' in log
    # the same pair of masks gives both generators the same score: the
    # agreeing half passes for both
    assert log['accepted_a'] == 2 and log['accepted_b'] == 2
    assert model.last_accepted_ids['a'] == ['img2', 'img3']
    assert model.last_accepted_ids['b'] == ['img2', 'img3']
    assert log['loss_semi_b'] > 0 and not same(snapshot(model.generator_b),
                                                gen_b)
    assert {'gate.bank', 'gate.bank_ptr'} <= set(model.state_dict())
