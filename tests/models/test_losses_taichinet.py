"""Tests of TaiChiNet's Dice+BCE (Eqs. 16-17) and L_C (Eq. 18) losses."""
import math

import pytest
import torch

from bus_mm.models.losses.complementary_loss import ComplementaryLoss
from bus_mm.models.losses.dice_bce_loss import DiceBCELoss
from mmseg.registry import MODELS

PROB = torch.tensor([[[[0.8, 0.2], [0.6, 0.4]]]])
TARGET = torch.tensor([[[[1, 0], [1, 0]]]])
# Eq. 16 with smooth=0: 1 - 2 * (0.8 + 0.6) / (2 + (0.64 + 0.04 + 0.36 + 0.16))
DICE = 1 - 2.8 / 3.2
# standard BCE, pixel mean: -(log .8 + log .8 + log .6 + log .6) / 4
BCE = -(2 * math.log(0.8) + 2 * math.log(0.6)) / 4


def test_registered():
    assert isinstance(MODELS.build(dict(type='DiceBCELoss')), DiceBCELoss)
    assert isinstance(
        MODELS.build(dict(type='ComplementaryLoss')), ComplementaryLoss)


def test_dice_bce_hand_value_on_probabilities():
    loss = DiceBCELoss(use_sigmoid=False, smooth=0.0)
    assert loss(PROB, TARGET).item() == pytest.approx(DICE + BCE, abs=1e-5)
    dice_only = DiceBCELoss(use_sigmoid=False, smooth=0.0, bce_weight=0.0)
    assert dice_only(PROB, TARGET).item() == pytest.approx(DICE, abs=1e-6)
    bce_only = DiceBCELoss(use_sigmoid=False, dice_weight=0.0)
    assert bce_only(PROB, TARGET).item() == pytest.approx(BCE, abs=1e-5)


def test_dice_bce_logits_equal_probabilities():
    loss = DiceBCELoss(use_sigmoid=True, smooth=0.0)
    value = loss(torch.logit(PROB), TARGET[:, 0])  # (B, H, W) target works
    assert value.item() == pytest.approx(DICE + BCE, abs=1e-5)


def test_bce_is_standard_form_not_the_papers_typo():
    # Eq. 17 as printed has y_hat * log(y); the standard term for y=1,
    # y_hat=0.9 is -log(0.9).
    loss = DiceBCELoss(use_sigmoid=False, dice_weight=0.0)
    pred = torch.full((1, 1, 1, 1), 0.9)
    assert loss(pred, torch.ones(1, 1, 1, 1)).item() == pytest.approx(
        -math.log(0.9), rel=1e-5)


def test_dice_bounded_for_empty_target():
    loss = DiceBCELoss(use_sigmoid=False, bce_weight=0.0)  # smooth=1
    empty = torch.zeros(1, 1, 2, 2)
    # sum(p^2) = 4 * 0.25 = 1 -> 1 - 1 / (0 + 1 + 1) = 0.5
    half = torch.full((1, 1, 2, 2), 0.5, requires_grad=True)
    value = loss(half, empty)
    assert value.item() == pytest.approx(0.5)
    value.backward()
    assert torch.isfinite(half.grad).all()
    assert loss(torch.zeros(1, 1, 2, 2), empty).item() == pytest.approx(0.0)
    # a confident full prediction on a large empty target stays below 1
    big = torch.ones(1, 1, 64, 64)
    assert 0.99 < loss(big, torch.zeros_like(big)).item() < 1.0


def test_ignore_index_excluded():
    loss = DiceBCELoss(use_sigmoid=False, smooth=0.0)
    pred = torch.tensor([[[[0.8, 0.2, 0.9]]]])
    target = torch.tensor([[[[1, 0, 255]]]])
    ref = loss(torch.tensor([[[[0.8, 0.2]]]]), torch.tensor([[[[1, 0]]]]))
    assert loss(pred, target).item() == pytest.approx(ref.item(), abs=1e-6)
    # all pixels ignored -> 0, not NaN
    assert loss(pred, torch.full_like(target, 255)).item() == 0.0


def test_dice_is_per_image_mean_over_batch():
    loss = DiceBCELoss(use_sigmoid=False, smooth=0.0, bce_weight=0.0)
    pred = torch.cat([PROB, torch.ones_like(PROB)])
    target = torch.cat([TARGET, torch.ones_like(TARGET)])
    assert loss(pred, target).item() == pytest.approx(DICE / 2, abs=1e-6)


def test_dice_bce_shape_errors():
    loss = DiceBCELoss()
    with pytest.raises(ValueError, match='differ in shape'):
        loss(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 3))
    with pytest.raises(ValueError, match='1-channel'):
        loss(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2))


def test_complementary_loss_hand_value():
    n = torch.tensor([[0.2, 0.5]])
    p = torch.tensor([[0.7, 0.1]])
    # (n - (1 - p))^2 = (n + p - 1)^2 = 0.01, 0.16 ; both halves equal
    comp = ComplementaryLoss(use_sigmoid=False)
    assert comp(n, p).item() == pytest.approx(0.085, abs=1e-6)
    # on logits: the sigmoid is applied first
    assert ComplementaryLoss()(torch.logit(n), torch.logit(p)).item() == \
        pytest.approx(0.085, abs=1e-6)
    # a perfectly complementary pair gives 0
    assert comp(n, 1 - n).item() == pytest.approx(0.0, abs=1e-7)
    cons = ComplementaryLoss(mode='consistent', use_sigmoid=False)
    assert cons(n, p).item() == pytest.approx((0.25 + 0.16) / 2, abs=1e-6)


def test_complementary_loss_valid_mask_and_errors():
    comp = ComplementaryLoss(use_sigmoid=False)
    n = torch.tensor([[0.2, 0.5]])
    p = torch.tensor([[0.7, 0.1]])
    valid = torch.tensor([[True, False]])
    assert comp(n, p, valid_mask=valid).item() == pytest.approx(0.01)
    with pytest.raises(ValueError, match='mode'):
        ComplementaryLoss(mode='other')
    with pytest.raises(ValueError, match='differ'):
        comp(n, p[:, :1])
