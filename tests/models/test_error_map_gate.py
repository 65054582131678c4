"""Tests of the critic gate (bus_mm/models/gates/error_map_gate.py) and its
D step in ASSGAN."""
import pytest
import torch

from bus_mm.models.gates import ErrorMapGate, build_gate, estimated_iou
from bus_mm.models.gates.error_map_gate import error_targets
from bus_mm.models.segmentors.assgan_discriminator import discriminator_step
from mmseg.registry import MODELS
from .test_assgan import build, make_batch, make_optim

H = 32


def square(y0, x0, side, n=1):
    m = torch.zeros(n, 1, H, H)
    m[:, :, y0:y0 + side, x0:x0 + side] = 1
    return m


def test_estimated_iou_is_the_true_iou_for_a_perfect_error_map():
    valid = torch.ones(1, 1, H, H)
    mask, truth = square(4, 4, 12), square(8, 8, 12)
    true_iou = float((mask * truth).sum() / ((mask + truth) > 0).sum())
    est = estimated_iou((mask != truth).float(), mask * 0.9, valid,
                        smooth=0)
    assert est.item() == pytest.approx(true_iou)
    # no predicted error: every mask is perfect; all wrong: IoU ~ 0
    assert estimated_iou(torch.zeros(1, 1, 4, 4), mask, valid).item() == 1
    assert estimated_iou(torch.ones(1, 1, 4, 4), mask, valid).item() < 0.01
    # padding counts for nothing
    pad = valid.clone()
    pad[..., 20:] = 0
    err = torch.zeros(1, 1, H, H)
    err[..., 20:] = 1
    assert estimated_iou(err, mask, pad).item() == 1


def test_error_targets_are_patch_shares_of_wrong_pixels():
    mask, truth = square(0, 0, 16), square(0, 0, 8)
    t = error_targets(mask, truth, (2, 2))
    assert t[0, 0].tolist() == [[0.75, 0.0], [0.0, 0.0]]


def test_gate_rejects_the_lowest_estimated_iou_share():
    gate = build_gate(dict(type='ErrorMapGate', gamma=0.25))
    assert gate.regresses_error and gate.with_image
    prob = square(4, 4, 12, n=4) * 0.9
    valid = torch.ones(4, 1, H, H)
    err = torch.zeros(4, 1, 4, 4)
    err[0, :, 0:2, 0:2] = 1.0  # image 0: its mask is estimated mostly wrong
    err[1, :, 1, 1] = 0.3
    d = gate.decide(err, prob, valid)
    assert d.scores[0] < d.scores[1] < d.scores[2] == d.scores[3] == 1
    assert d.accepted.tolist() == [False, True, True, True]
    assert d.labels.shape == (4, 1, H, H)


def test_critic_needs_the_image_channels_and_no_adversarial_loss():
    with pytest.raises(ValueError, match='in_channels=image channels \\+ 1'):
        build(gate=dict(type='ErrorMapGate'), lambda_adv=0.0)
    disc = dict(type='PatchDiscriminator', in_channels=4, base_channels=4)
    with pytest.raises(ValueError, match='lambda_adv=0'):
        build(gate=dict(type='ErrorMapGate'), discriminator=disc)


def test_critic_step_learns_the_error_map():
    torch.manual_seed(0)
    disc = MODELS.build(
        dict(type='PatchDiscriminator', in_channels=4, base_channels=8))
    gate = ErrorMapGate()
    optim = make_optim(type('M', (), dict(
        generator_a=None, generator_b=None, discriminator=disc))(), lr=1e-2)
    image = torch.rand(4, 3, H, H)
    real = square(8, 8, 12, n=4)
    fake = torch.cat([square(8, 8, 12), square(0, 0, 20), square(8, 8, 6),
                      torch.zeros(1, 1, H, H)]) * 0.9
    maes = []
    for _ in range(60):
        log = {}
        discriminator_step(disc, gate, optim['discriminator'], real, image,
                           {'a': (fake, 0.5)}, 1.0, log)
        maes.append(log['disc.critic_mae'])
    assert maes[-1] < 0.5 * maes[0]
    with torch.no_grad():
        err = gate.patch_scores(disc, fake, image)
    est = estimated_iou(err, fake, torch.ones_like(fake))
    assert est[0] == est.max() and est[3] == est.min()  # exact vs. empty


def test_assgan_trains_with_the_critic_gate():
    torch.manual_seed(0)
    model = build(
        gate=dict(type='ErrorMapGate', gamma=0.5), lambda_adv=0.0,
        semi_start=0,
        discriminator=dict(type='PatchDiscriminator', in_channels=4,
                           base_channels=4), train_d_in_semi=True)
    optim = make_optim(model)
    log = model.train_step(make_batch(2, 4), optim)
    assert 'disc.critic_mae' in log and 'loss_adv_a' not in log
    assert 0 <= log['score_unlabeled_a'] <= 1
    assert log['accepted_a'] == 2  # A is judged first: its lower half out
    for seed in (1, 2):
        model.train_step(make_batch(2, 4, seed=seed), optim)
    assert model.gate.bank_ptr.item() == 3 * 2 * 4


def test_corruptions_have_known_varied_errors_and_repeat_on_resume():
    from bus_mm.models.gates.error_map_gate import corrupt_masks
    real = square(8, 8, 12, n=40)
    out = corrupt_masks(real, torch.Generator().manual_seed(0))
    assert out.shape == real.shape and set(out.unique().tolist()) <= {0, 1}
    wrong = (out != real).float().mean(dim=(1, 2, 3))
    assert (wrong > 0).float().mean() > 0.8  # nearly all are corrupted
    assert wrong.std() > 0.01  # by different amounts
    area = out.sum(dim=(1, 2, 3))
    assert (area == 0).any() and (area > 144).any() and (area < 144).any()
    # the gate draws from its own generator, seeded by its step count
    gate, twin = ErrorMapGate(), ErrorMapGate()
    gate.corrupted(real)
    twin.load_state_dict(gate.state_dict())
    state = torch.random.get_rng_state()
    assert torch.equal(gate.corrupted(real), twin.corrupted(real))
    assert torch.equal(state, torch.random.get_rng_state())
    assert gate.steps.item() == 2
    assert not torch.equal(gate.corrupted(real), gate.corrupted(real))


def test_without_corruptions_d_sees_only_ground_truth_and_fakes():
    disc = MODELS.build(
        dict(type='PatchDiscriminator', in_channels=4, base_channels=4))
    seen = []
    disc.register_forward_hook(lambda m, i, o: seen.append(len(o)))
    optim = make_optim(type('M', (), dict(
        generator_a=None, generator_b=None, discriminator=disc))())
    real = square(8, 8, 12, n=2)
    for corrupt, n in ((False, 4), (True, 6)):
        gate = ErrorMapGate(corrupt_real=corrupt)
        discriminator_step(disc, gate, optim['discriminator'], real,
                           torch.rand(2, 3, H, H), {'a': (real * 0.9, 0.5)},
                           1.0, {})
        assert seen[-1] == n
