"""ASSGAN's trust gates (bus_mm/models/gates): the interface, the score bank,
the discriminator gate (absolute and quantile), accept-all, and the gate
audit. AgreementGate has its own file (test_agreement_gate.py)."""
import copy
import math

import pytest
import torch
from mmengine.structures import PixelData

from bus_mm.models.gates import (AcceptAllGate, DiscriminatorGate,
                                 GateDecision, ScoreBank, TrustGate,
                                 hard_labels)
from mmseg.registry import MODELS
from tests.models.test_assgan import (GENS, build, make_batch, make_optim,
                                      same, snapshot)


# ----------------------------------------------------------------------
# the interface
# ----------------------------------------------------------------------
def test_hard_labels_and_the_accepted_property():
    prob = torch.tensor([[0.2, 0.7], [0.9, 0.4]]).view(1, 1, 2, 2)
    valid = torch.ones_like(prob)
    valid[..., 1, 1] = 0
    labels = hard_labels(prob, valid, 0.5)
    assert labels.dtype == torch.long
    assert labels[0, 0].tolist() == [[0, 1], [1, 255]]
    assert hard_labels(prob, valid, 0.8)[0, 0].tolist() == [[0, 0],
                                                             [1, 255]]
    d = GateDecision(None, torch.tensor([0., 0.3, 1.]), labels)
    assert d.accepted.tolist() == [False, True, True]


def test_trust_gate_base_checks_gamma_and_needs_judge():
    for bad in (-0.1, 1.5):
        for cls in (DiscriminatorGate, TrustGate):
            with pytest.raises(ValueError, match='gamma'):
                cls(gamma=bad)
    gate = TrustGate(gamma=0.3)
    assert gate.log_vars() == {} and not gate.needs_discriminator \
        and not gate.needs_pair
    with pytest.raises(NotImplementedError):
        gate.judge({}, {}, torch.ones(1, 1, 2, 2))
    gate.gamma = 1
    assert gate.gamma == 1.0 and isinstance(gate.gamma, float)
    model = build()
    with pytest.raises(ValueError, match='gamma'):
        model.gate.gamma = 2.0


# ----------------------------------------------------------------------
# ScoreBank
# ----------------------------------------------------------------------
def test_score_bank_is_a_ring_buffer_of_the_newest_scores():
    bank = ScoreBank(4)
    assert torch.isnan(bank.bank).all() and math.isnan(bank.quantile(0.5))
    bank.remember(torch.tensor([0.1, 0.2, 0.3]))
    bank.remember(torch.tensor([0.7, 0.8, 0.9]))
    assert sorted(bank.bank.tolist()) == pytest.approx([0.3, 0.7, 0.8, 0.9])
    assert int(bank.bank_ptr) == 2
    assert bank.quantile(0.5) == pytest.approx(0.75)
    bank.remember(torch.tensor([0.5] * 6))  # more than it holds: newest 4
    assert bank.bank.tolist() == pytest.approx([0.5] * 4)
    bank.remember(torch.arange(6.) / 10)
    assert sorted(bank.bank.tolist()) == pytest.approx([0.2, 0.3, 0.4, 0.5])
    with pytest.raises(ValueError, match='bank_size'):
        ScoreBank(0)


def test_score_bank_quantile_ignores_empty_slots_and_rank_uses_midranks():
    bank = ScoreBank(10)
    assert bank.rank(torch.tensor([0.3, 0.9])).tolist() == [1., 1.]  # empty
    bank.remember(torch.tensor([0.2, 0.4, 0.4, 0.8]))
    assert bank.quantile(0.0) == pytest.approx(0.2)
    assert bank.quantile(1.0) == pytest.approx(0.8)
    assert bank.quantile(0.5) == pytest.approx(0.4)
    # share below + half the ties: 0.4 has 1 below and 2 ties of 4
    got = bank.rank(torch.tensor([0.1, 0.2, 0.4, 0.5, 0.9]))
    assert got.tolist() == pytest.approx([0., 0.5 / 4, 2 / 4, 3 / 4, 1.])
    # rank does not remember
    assert torch.isfinite(bank.bank).sum() == 4


def test_score_bank_is_saved_with_the_model():
    bank = ScoreBank(8)
    bank.remember(torch.tensor([0.1, 0.6]))
    state = bank.state_dict()
    assert set(state) == {'bank', 'bank_ptr'}
    other = ScoreBank(8)
    other.load_state_dict(state)
    assert same(other.state_dict(), state)
    assert other.quantile(0.5) == bank.quantile(0.5)
    # inside ASSGAN: the gate's bank is a buffer of the model
    model = build(gate=dict(type='AgreementGate', bank_size=8))
    state = model.state_dict()
    assert state['gate.recent.bank'].shape == (8, )
    assert 'gate.recent.bank_ptr' in state


# ----------------------------------------------------------------------
# DiscriminatorGate
# ----------------------------------------------------------------------
def _judge(gate, scores_a, scores_b=None, prob=0.9):
    """Judge predictions whose D scores are given (A's, and B's)."""
    scores = {'generator_a': torch.tensor(scores_a, dtype=torch.float)}
    if scores_b is not None:
        scores['generator_b'] = torch.tensor(scores_b, dtype=torch.float)
    probs = {n: torch.full((len(s), 1, 4, 4), prob)
             for n, s in scores.items()}
    valid = torch.ones(len(scores_a), 1, 4, 4)
    return gate.judge(probs, {n: 0.5 for n in probs}, valid, scores)


def test_discriminator_gate_accepts_scores_above_gamma():
    gate = DiscriminatorGate(gamma=0.5)
    out = _judge(gate, [0.8, 0.2, 0.5], [0.51, 0.49, 0.9])
    assert list(out) == list(GENS)
    a, b = out['generator_a'], out['generator_b']
    assert a.weights.tolist() == [1., 0., 0.]  # 0.5 is not above 0.5
    assert b.weights.tolist() == [1., 0., 1.]
    assert a.scores.tolist() == pytest.approx([0.8, 0.2, 0.5])
    assert torch.equal(a.labels, torch.ones(3, 1, 4, 4, dtype=torch.long))
    assert gate.log_vars() == {} and gate.recent is None
    assert gate.needs_discriminator and not gate.needs_pair
    with pytest.raises(ValueError, match='model.discriminator'):
        gate.judge({'generator_a': torch.rand(1, 1, 4, 4)},
                   {'generator_a': 0.5}, torch.ones(1, 1, 4, 4))
    # gamma is live: 0 accepts every sigmoid score, 1 none
    gate.gamma = 0.0
    assert _judge(gate, [0.01, 0.3])['generator_a'].accepted.all()
    gate.gamma = 1.0
    assert not _judge(gate, [0.99, 1.0])['generator_a'].accepted.any()


def test_quantile_rejects_the_lowest_share_whatever_the_scale():
    gate = DiscriminatorGate(gamma=0.25, quantile=True, bank_size=8)
    # scores far below 0.5 (where a fixed gamma = 0.5 rejects everything):
    # only the lowest quarter of the bank is refused
    d = _judge(gate, [0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17])
    assert d['generator_a'].accepted.tolist() == [False, False] + [True] * 6
    assert torch.equal(d['generator_a'].labels,
                       torch.ones(8, 1, 4, 4, dtype=torch.long))
    assert gate.log_vars()['gate_threshold'] == pytest.approx(
        gate.recent.quantile(0.25))
    # the bank remembers: a lone low score is judged against the history
    assert _judge(gate, [0.105])['generator_a'].accepted.tolist() == [False]
    assert _judge(gate, [0.16])['generator_a'].accepted.tolist() == [True]


def test_quantile_gamma_zero_accepts_everything_and_one_nothing():
    gate = DiscriminatorGate(gamma=0.0, quantile=True)
    assert _judge(gate, [0.3, 0.1, 0.2, 0.1])['generator_a'].accepted.all()
    gate = DiscriminatorGate(gamma=1.0, quantile=True)
    assert not _judge(gate, [0.3, 0.1, 0.2])['generator_a'].accepted.any()


def test_quantile_rejects_scores_tied_at_the_threshold():
    # a mask-only D scores every empty mask the same: when empty masks fill
    # the lowest share of the bank, all of them are refused
    gate = DiscriminatorGate(gamma=0.2, quantile=True, bank_size=10)
    d = _judge(gate, [0.45] * 4 + [0.5, 0.6, 0.55, 0.52, 0.51, 0.58])
    assert d['generator_a'].accepted.tolist() == [False] * 4 + [True] * 6


def test_quantile_judges_a_before_b_enters_the_bank():
    """A's scores join the bank before B's are judged, so B is judged
    against A's: B's 0.35 passes only because A's low scores came first
    (against its own scores alone the median would be 0.575)."""
    gate = DiscriminatorGate(gamma=0.5, quantile=True, bank_size=8)
    out = _judge(gate, [0.1, 0.2, 0.3, 0.4], [0.3, 0.35, 0.8, 0.9])
    # A alone: median 0.25; then the 8 scores: median (0.3 + 0.35) / 2
    assert out['generator_a'].accepted.tolist() == [False, False, True,
                                                    True]
    assert out['generator_b'].accepted.tolist() == [False, True, True, True]
    assert torch.isfinite(gate.recent.bank).sum() == 8


def test_discriminator_gate_options_and_registry():
    gate = MODELS.build(dict(type='DiscriminatorGate', gamma=0.1,
                             quantile=True, bank_size=16))
    assert isinstance(gate, DiscriminatorGate) and gate.quantile
    assert gate.recent.bank.numel() == 16
    assert 'DiscriminatorGate(\n  gamma=0.1, quantile=True' in repr(gate)
    assert set(gate.state_dict()) == {'recent.bank', 'recent.bank_ptr'}
    assert DiscriminatorGate().state_dict() == {}  # absolute: no state
    with pytest.raises(ValueError, match='bank_size'):
        DiscriminatorGate(quantile=True, bank_size=0)


def test_quantile_bank_is_in_the_checkpoint_so_a_resume_keeps_the_threshold():
    torch.manual_seed(0)
    cfg = dict(type='DiscriminatorGate', gamma=0.5, quantile=True,
               bank_size=16)
    model = build(semi=True, gate=cfg)
    log = model.train_step(make_batch(2, 4), make_optim(model))
    # 4 unlabeled images judged for each of the two generators
    assert torch.isfinite(model.gate.recent.bank).sum() == 8
    assert log['accepted_a'] <= 4 and log['accepted_b'] <= 4
    assert log['gate_threshold'] == pytest.approx(
        model.gate.recent.quantile(0.5))
    assert 0. < log['gate_threshold'] < 1.
    state = model.state_dict()
    assert {'gate.recent.bank', 'gate.recent.bank_ptr'} <= set(state)
    fresh = build(gate=cfg)
    fresh.load_state_dict(state)
    assert same(fresh.gate.state_dict(), model.gate.state_dict())
    assert fresh.gate.log_vars() == model.gate.log_vars()


def test_the_adaptive_threshold_is_logged_in_algorithm_2_only():
    torch.manual_seed(0)
    model = build(gate=dict(type='DiscriminatorGate', quantile=True))
    optim = make_optim(model)
    assert 'gate_threshold' not in model.train_step(make_batch(2, 2), optim)
    model.semi_enabled = True
    log = model.train_step(make_batch(2, 2, seed=1), optim)
    assert log['gate_threshold'] == pytest.approx(
        model.gate.recent.quantile(model.gate.gamma))


# ----------------------------------------------------------------------
# AcceptAllGate
# ----------------------------------------------------------------------
def test_accept_all_takes_every_prediction_and_ignores_padding():
    gate = MODELS.build(dict(type='AcceptAllGate'))
    assert isinstance(gate, AcceptAllGate) and gate.gamma == 0.
    assert not gate.needs_discriminator and not gate.needs_pair
    prob = torch.tensor([[0.2, 0.7], [0.9, 0.4]]).view(1, 1, 2, 2).repeat(
        3, 1, 1, 1)
    valid = torch.ones_like(prob)
    valid[:, :, 1, 1] = 0
    out = gate.judge({'generator_a': prob, 'generator_b': 1 - prob},
                     {'generator_a': 0.5, 'generator_b': 0.5}, valid)
    for name, want in (('generator_a', [[0, 1], [1, 255]]),
                       ('generator_b', [[1, 0], [0, 255]])):
        d = out[name]
        assert d.scores is None and d.weights.tolist() == [1.] * 3
        assert d.labels[0, 0].tolist() == want
    assert gate.log_vars() == {} and gate.state_dict() == {}


def test_accept_all_serves_one_generator_without_d():
    torch.manual_seed(0)
    model = build(two=False, disc=False, semi=True)
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert log['accepted_a'] == 3 and log['loss_semi_a'] > 0
    assert 'score_unlabeled_a' not in log and 'gate_threshold' not in log
    assert model.last_audit == {'a': [], 'b': []}  # no audit masks


# ----------------------------------------------------------------------
# gates inside ASSGAN
# ----------------------------------------------------------------------
def test_paper_gate_setting_trains():
    """The paper read literally: D sees the soft map alone (1 channel),
    absolute gamma, L_adv in both phases, no strong view."""
    torch.manual_seed(0)
    model = build(
        semi=True, gate=dict(type='DiscriminatorGate', gamma=0.0),
        discriminator=dict(type='PatchDiscriminator', in_channels=1,
                           base_channels=4),
        semi_train_cfg=dict(adv_warmup=False, adv_on_unlabeled=False,
                            d_input=dict(binarize=False, with_image=False),
                            strong_aug=None))
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, a: seen.append(a[0].detach().clone()))
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert log['accepted_a'] == 2 and log['disc.loss_real'] > 0
    assert all(x.size(1) == 1 for x in seen)
    # soft maps: the fakes are not 0/1
    assert not set(seen[-1][2:].unique().tolist()) <= {0., 1.}
    assert set(seen[-1][:2].unique().tolist()) <= {0., 1.}  # ground truth


def _with_audit(batch, flip=False):
    """Give the unlabeled samples their true masks as ``gt_audit_seg``."""
    ref = make_batch(4, 0)  # same seed: the same images, all labeled
    for s, r in zip(batch['data_samples'], ref['data_samples']):
        if not s.metainfo['labeled']:
            gt = r.gt_sem_seg.data
            s.gt_audit_seg = PixelData(data=1 - gt if flip else gt)
    return batch


def test_audit_records_true_iou_and_never_changes_training():
    torch.manual_seed(0)
    plain = build(semi=True, gate=dict(type='DiscriminatorGate', gamma=0.5))
    audited = copy.deepcopy(plain)
    o1, o2 = make_optim(plain), make_optim(audited)
    torch.manual_seed(1)  # the same dropout and strong-view draws
    for step in range(3):
        plain.train_step(make_batch(2, 2), o1)
    torch.manual_seed(1)
    for step in range(3):
        log = audited.train_step(_with_audit(make_batch(2, 2)), o2)
    for name in GENS + ('discriminator', ):
        assert same(snapshot(getattr(plain, name)),
                    snapshot(getattr(audited, name))), name
    assert plain.last_audit == {'a': [], 'b': []}
    recs = audited.last_audit
    assert len(recs['a']) == 2 and len(recs['b']) == 2
    for score, iou, acc in recs['a'] + recs['b']:
        assert 0 <= score <= 1 and 0 <= iou <= 1
        assert acc == (score > 0.5)
    assert sum(acc for *_, acc in recs['a']) == log['accepted_a']
    # the IoU is against the audit mask: the complement gives 1 - overlap
    audited.train_step(_with_audit(make_batch(2, 2), flip=True), o2)
    flipped = [iou for _, iou, _ in audited.last_audit['a']]
    audited.train_step(_with_audit(make_batch(2, 2)), o2)
    straight = [iou for _, iou, _ in audited.last_audit['a']]
    assert all(f <= 1 - s + 1e-6 or s == 1.0
               for f, s in zip(flipped, straight))


def test_audit_summary_figures():
    import numpy as np
    from bus_mm.evaluation.gate_audit import audit_summary, auroc, mask_iou
    s = audit_summary([0.9, 0.8, 0.3, 0.1], [0.9, 0.7, 0.4, 0.2],
                      [True, True, False, False])
    assert s['accepted_share'] == 0.5
    assert s['iou_accepted'] == pytest.approx(0.8)
    assert s['iou_rejected'] == pytest.approx(0.3)
    assert s['spearman'] == pytest.approx(1.0)
    assert s['auroc'] == pytest.approx(1.0)
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert math.isnan(auroc([0.3], [True]))
    a = np.zeros((4, 4))
    a[:2] = 1
    b = np.zeros((4, 4))
    b[:, :2] = 1
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    assert mask_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0


def test_audit_pseudo_labels_scores_only_samples_with_masks():
    from mmseg.structures import SegDataSample
    from bus_mm.evaluation.gate_audit import audit_pseudo_labels
    gt = torch.zeros(1, 4, 4, dtype=torch.long)
    gt[:, :2] = 1                               # top half is lesion
    audited, plain = SegDataSample(), SegDataSample()
    audited.gt_audit_seg = PixelData(data=gt)
    labels = torch.zeros(2, 1, 4, 4, dtype=torch.long)
    labels[:, :, :, :2] = 1                     # left half predicted
    labels[:, :, 3] = 255                       # bottom row ignored
    recs = audit_pseudo_labels([audited, plain], labels,
                               torch.tensor([0.8, 0.3]),
                               torch.tensor([True, False]))
    assert len(recs) == 1
    score, iou, acc = recs[0]
    # kept rows 0-2: gt 8 px (rows 0-1), pred 6 px (cols 0-1), overlap 4
    assert score == pytest.approx(0.8) and acc is True
    assert iou == pytest.approx(4 / 10)
    recs = audit_pseudo_labels([audited], labels[:1], None,
                               torch.tensor([True]))
    assert recs[0][0] != recs[0][0]             # NaN score without a gate


def test_removed_gate_api_is_gone():
    import bus_mm.evaluation.gate_audit as gate_audit
    import bus_mm.models.gates as gates
    for name in ('PaperGate', 'PixelGate', 'MaskQualityGate', 'QuantileGate',
                 'ErrorMapGate', 'build_gate', 'gate_verdict',
                 'check_gate_setup', 'pairwise_rule', 'accept_all'):
        assert not hasattr(gates, name), name
    assert not hasattr(gate_audit, 'oracle_verdict')
