"""The curriculum part targets of TaiChiNet ('masked' vs 'literal').

The decisive check trains free per-pixel logits (one nn.Parameter per pixel,
no network to hide behind) with Adam on TaiChiNet's own loss terms: the GT
term ``L_S(O_p, G_p)`` plus the part term of the stage
(:meth:`TaiChiNet.part_loss`). Under 'masked' every lesion pixel must end
above 0.5; under 'literal' (Eqs. 21-22 as printed) the part term drags the
lesion pixels outside the part below 0.5.
"""
import pytest
import torch

from bus_mm.models.losses import PART_TARGETS, curriculum_part_target
from bus_mm.models.segmentors.taichinet import TaiChiNet

from .test_taichinet import tiny_backbone


def test_targets_by_hand():
    gt = torch.tensor([[0, 1, 1, 1, 255]])
    part = torch.tensor([[0, 1, 0, 0, 0]])
    assert curriculum_part_target(part, gt, 'masked').tolist() == \
        [[0, 1, 255, 255, 255]]
    assert curriculum_part_target(part, gt, 'literal').tolist() == \
        [[0, 1, 0, 0, 255]]
    # a missing part (LoadCurriculumMasks(allow_missing=True): all 255)
    # gives no supervision in either reading
    missing = torch.full_like(gt, 255)
    for mode in PART_TARGETS:
        assert (curriculum_part_target(missing, gt, mode) == 255).all()


def test_bad_reading_and_shape_errors():
    gt = torch.zeros(1, 4, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="part_target='soft'.*'masked'"):
        curriculum_part_target(gt, gt, 'soft')
    with pytest.raises(ValueError, match='differ in shape'):
        curriculum_part_target(gt[:, :2], gt)
    with pytest.raises(ValueError, match='TaiChiNet: part_target'):
        TaiChiNet(backbone=tiny_backbone(), part_target='soft')


def lesion_with_parts(size=24):
    """A 10x10 lesion (100 px): easy core 30 px (the busi-dev teacher's
    E_p holds 29-35%), hard part 55 px, 15 px missed by the teacher."""
    gt = torch.zeros(1, 1, size, size, dtype=torch.long)
    gt[..., 7:17, 7:17] = 1
    easy = torch.zeros_like(gt)
    easy[..., 9:14, 9:15] = 1  # 5 x 6 = 30
    hard = gt.clone()
    hard[easy == 1] = 0
    missed = torch.zeros_like(gt)
    missed[..., 16, 7:17] = 1  # bottom row, 10 px
    missed[..., 15, 7:12] = 1  # 5 px
    hard[missed == 1] = 0
    assert (easy.sum(), hard.sum(), missed.sum()) == (30, 55, 15)
    return gt, easy, hard


def train_free_logits(part_target, stage, steps=400):
    model = TaiChiNet(backbone=tiny_backbone(), ablation='model1',
                      use_curriculum=True, part_target=part_target,
                      stage=stage)
    gt, easy, hard = lesion_with_parts()
    part = easy if stage == 1 else hard
    logit = torch.nn.Parameter(torch.zeros(gt.shape))
    optim = torch.optim.Adam([logit], lr=0.05)
    for _ in range(steps):
        optim.zero_grad()
        loss = model.loss_seg(logit, gt) + model.part_loss(logit, part, gt)
        loss.backward()
        optim.step()
    prob = logit.detach().sigmoid()
    return prob, gt.bool(), part.bool()


@pytest.mark.parametrize('stage', [1, 2])
def test_masked_keeps_every_lesion_pixel_above_half(stage):
    prob, gt, part = train_free_logits('masked', stage)
    assert prob[gt].min() > 0.5
    assert prob[~gt].max() < 0.5


@pytest.mark.parametrize('stage', [1, 2])
def test_literal_cuts_through_the_lesion(stage):
    prob, gt, part = train_free_logits('literal', stage)
    outside = gt & ~part  # lesion pixels the part term calls background
    assert prob[part].min() > 0.5
    assert prob[outside].max() < 0.5  # the 0.5 threshold drops them all
    assert prob[~gt].max() < 0.5
