"""ASSGAN's trust gates: D inputs, decisions, bad options, and the audit."""
import copy

import pytest
import torch

from bus_mm.models.gates import (MaskQualityGate, PaperGate, PixelGate,
                                 build_gate)
from mmseg.registry import MODELS
from tests.models.test_assgan import build, make_batch, make_optim, snapshot


def test_paper_gate_feeds_soft_maps_and_mask_quality_gate_hard_ones():
    prob = torch.rand(2, 1, 8, 8, requires_grad=True)
    assert PaperGate().d_input(prob, None) is prob
    out = MaskQualityGate().d_input(prob, None, threshold=0.5)
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(out.detach(), (prob > 0.5).float())
    # straight-through: L_adv's gradient reaches every probability
    out.sum().backward()
    assert torch.equal(prob.grad, torch.ones_like(prob))
    # real masks (no gradient) come out as they are
    gt = (torch.rand(2, 1, 8, 8) > 0.5).float()
    assert torch.equal(MaskQualityGate().d_input(gt, None), gt)


def test_image_conditioned_gate_concatenates_and_checks_channels():
    gate = MaskQualityGate(with_image=True)
    img, mask = torch.randn(2, 3, 8, 8), torch.rand(2, 1, 8, 8)
    out = gate.d_input(mask, img)
    assert out.shape == (2, 4, 8, 8) and torch.equal(out[:, :3], img)
    disc = MODELS.build(dict(type='PatchDiscriminator', in_channels=1,
                             base_channels=4))
    with pytest.raises(ValueError, match='in_channels=image channels'):
        gate.check_discriminator(disc)
    disc4 = MODELS.build(dict(type='PatchDiscriminator', in_channels=4,
                              base_channels=4))
    gate.check_discriminator(disc4, image_channels=3)
    with pytest.raises(ValueError, match='in_channels=2'):
        gate.check_discriminator(disc4, image_channels=1)
    with pytest.raises(ValueError, match='in_channels=1'):
        MaskQualityGate().check_discriminator(disc4)


def test_gamma_outside_unit_interval_is_refused():
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match='gamma'):
            MaskQualityGate(gamma=bad)
        with pytest.raises(ValueError, match='gamma'):
            build(gamma=bad)
    model = build()
    with pytest.raises(ValueError, match='gamma'):
        model.gamma = 2.0
    with pytest.raises(ValueError, match='gate'):
        build_gate('patch')


def test_decide_image_and_pixel_levels():
    prob = torch.zeros(2, 1, 4, 4)
    prob[:, :, :2] = 0.9
    valid = torch.ones(2, 1, 4, 4)
    patch = torch.stack([torch.full((1, 2, 2), 0.8),
                         torch.full((1, 2, 2), 0.2)])
    d = MaskQualityGate(gamma=0.5).decide(patch, prob, valid)
    assert d.accepted.tolist() == [True, False]
    assert torch.allclose(d.scores, torch.tensor([0.8, 0.2]))
    assert torch.equal(d.labels, (prob > 0.5).long())
    patch = torch.zeros(2, 1, 4, 4)
    patch[..., :2] = 0.9
    d = PixelGate(gamma=0.5).decide(patch, prob, valid)
    assert d.accepted.tolist() == [True, True]
    assert (d.labels[..., 2:] == 255).all() and (d.labels[..., :2] <= 1).all()


def test_discriminator_is_frozen_in_algorithm_2_unless_asked():
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0)  # defaults: frozen in semi phase
    before = snapshot(model.discriminator)
    log = model.train_step(make_batch(2, 2), make_optim(model))
    after = snapshot(model.discriminator)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert 'disc.loss_real' not in log and log['accepted_a'] == 2
    model.semi_enabled = False  # Algorithm 1: D learns
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert 'disc.loss_real' in log
    assert not all(torch.equal(after[k], v)
                   for k, v in snapshot(model.discriminator).items())


def test_image_conditioned_assgan_trains():
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0, train_d_in_semi=True,
                  gate=dict(type='MaskQualityGate', with_image=True),
                  discriminator=dict(type='PatchDiscriminator',
                                     in_channels=4, base_channels=4))
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert log['accepted_a'] == 2 and log['disc.loss_real'] > 0


def _with_audit(batch, flip=False):
    """Give the unlabeled samples their true masks as ``gt_audit_seg``."""
    from mmengine.structures import PixelData
    ref = make_batch(4, 0)  # same seed: the same images, all labeled
    for s, r in zip(batch['data_samples'], ref['data_samples']):
        if not s.metainfo['labeled']:
            gt = r.gt_sem_seg.data
            s.gt_audit_seg = PixelData(data=1 - gt if flip else gt)
    return batch


def test_audit_records_true_iou_and_never_changes_training():
    torch.manual_seed(0)
    plain = build(semi_start=0, gamma=0.5)
    audited = copy.deepcopy(plain)
    o1, o2 = make_optim(plain), make_optim(audited)
    torch.manual_seed(1)  # the same dropout draws for both runs
    for step in range(3):
        plain.train_step(make_batch(2, 2), o1)
    torch.manual_seed(1)
    for step in range(3):
        log = audited.train_step(_with_audit(make_batch(2, 2)), o2)
    for name in ('generator_a', 'generator_b', 'discriminator'):
        a = snapshot(getattr(plain, name))
        b = snapshot(getattr(audited, name))
        assert all(torch.equal(a[k], b[k]) for k in a), name
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
    import math
    assert math.isnan(auroc([0.3], [True]))
    import numpy as np
    a = np.zeros((4, 4)); a[:2] = 1
    b = np.zeros((4, 4)); b[:, :2] = 1
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    assert mask_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0


def test_pairwise_gate_lets_only_the_better_judged_generator_teach(
        monkeypatch):
    from tests.models.test_assgan import fixed_judge
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.5, pairwise_gate=True)
    # both pass gamma, A is judged better on every image: only A teaches
    monkeypatch.setattr(model.gate, 'patch_scores', fixed_judge([0.9, 0.6]))
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert log['accepted_a'] == 3 and log['accepted_b'] == 0
    assert log['loss_semi_b'] > 0 and log['loss_semi_a'] == 0
    model.pairwise_gate = False
    monkeypatch.setattr(model.gate, 'patch_scores', fixed_judge([0.9, 0.6]))
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert log['accepted_a'] == 3 and log['accepted_b'] == 3


def test_accept_all_takes_every_prediction_and_ignores_padding():
    from bus_mm.models.gates import accept_all
    prob = torch.tensor([[0.2, 0.7], [0.9, 0.4]]).view(1, 1, 2, 2).repeat(
        3, 1, 1, 1)
    valid = torch.ones_like(prob)
    valid[:, :, 1, 1] = 0
    scores, accepted, labels = accept_all(prob, valid, threshold=0.5)
    assert scores is None and accepted.tolist() == [True] * 3
    assert labels[0, 0].tolist() == [[0, 1], [1, 255]]


def test_pairwise_rule_keeps_only_the_better_scored_teacher():
    from bus_mm.models.gates import pairwise_rule
    acc_a = torch.tensor([True, True, False, True])
    acc_b = torch.tensor([True, False, True, True])
    sa = torch.tensor([0.9, 0.8, 0.2, 0.6])
    sb = torch.tensor([0.7, 0.9, 0.7, 0.6])
    a, b = pairwise_rule(acc_a, acc_b, sa, sb)
    # image 0: A better; 1: B better but B rejected; 2: A rejected; 3: tie
    assert a.tolist() == [True, False, False, False]
    assert b.tolist() == [False, False, True, False]


def test_audit_pseudo_labels_scores_only_samples_with_masks():
    from mmengine.structures import PixelData
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


def test_oracle_gate_accepts_by_true_iou_and_needs_audit_masks():
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.3, oracle_gate=True)
    optim = make_optim(model)
    for flip in (False, True):
        log = model.train_step(_with_audit(make_batch(2, 2), flip=flip),
                               optim)
        for k in 'ab':
            recs = model.last_audit[k]
            assert len(recs) == 2
            assert all(acc == (iou >= 0.3) for _, iou, acc in recs)
            assert log[f'accepted_{k}'] == sum(acc for *_, acc in recs)
    with pytest.raises(ValueError, match='--audit-gate'):
        model.train_step(make_batch(2, 2), optim)


def test_semi_normalize_unlabeled_weights_l_semi_by_the_accepted_share(
        monkeypatch):
    def one_of_four(disc, prob, image, threshold=0.5, d_logits=None):
        score = torch.full((prob.size(0), 1, 4, 4), 0.1)
        score[0] = 0.9                  # only the first unlabeled image
        return score

    torch.manual_seed(0)
    accepted = build(semi_start=0, gamma=0.5)
    unlabeled = copy.deepcopy(accepted)
    unlabeled.semi_normalize = 'unlabeled'
    logs = []
    for model in (accepted, unlabeled):
        monkeypatch.setattr(model.gate, 'patch_scores', one_of_four)
        torch.manual_seed(1)
        logs.append(model.train_step(make_batch(2, 4), make_optim(model)))
    a, u = logs
    assert a['accepted_a'] == u['accepted_a'] == 1
    for k in 'ab':   # Eq. 4: a sum with a 0/1 indicator over 4 images
        assert a[f'loss_semi_{k}'] > 0
        assert u[f'loss_semi_{k}'] == pytest.approx(a[f'loss_semi_{k}'] / 4)
    with pytest.raises(ValueError, match='semi_normalize'):
        build(semi_normalize='mean')
