"""ASSGAN's D update (Eq. 3): what D sees, what it learns, what it logs."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from bus_mm.models.gates import MaskQualityGate, PaperGate
from bus_mm.models.segmentors.assgan_discriminator import discriminator_step
from mmseg.registry import MODELS
from tests.models.test_assgan import (build, make_batch, make_optim, same,
                                      snapshot)


def _disc(in_channels=1):
    torch.manual_seed(0)
    return MODELS.build(dict(type='PatchDiscriminator',
                             in_channels=in_channels, base_channels=4))


def test_discriminator_step_learns_real_vs_fake_and_logs():
    disc = _disc()
    wrapper = OptimWrapper(torch.optim.Adam(disc.parameters(), lr=1e-2))
    real = torch.zeros(2, 1, 32, 32)
    real[:, :, 8:24, 8:24] = 1                  # compact squares
    prob_a = torch.rand(3, 1, 32, 32, requires_grad=True)   # noise masks
    prob_b = torch.rand(3, 1, 32, 32)
    image = torch.randn(3, 3, 32, 32)
    fakes = {'a': (prob_a, 0.5), 'b': (prob_b, 0.5)}
    logs = [dict() for _ in range(30)]
    losses = [discriminator_step(disc, MaskQualityGate(), wrapper, real,
                                 image, fakes, 1.0, log) for log in logs]
    assert losses[-1] < 0.5 * losses[0]
    last = logs[-1]
    assert set(last) == {'disc.loss_real', 'disc.loss_fake', 'score_real',
                         'score_a', 'score_b'}
    assert last['score_real'] > 0.8 > 0.2 > max(last['score_a'],
                                                last['score_b'])
    assert losses[-1] == pytest.approx(last['disc.loss_real'] +
                                       last['disc.loss_fake'])
    assert prob_a.grad is None                  # fakes are detached


def test_discriminator_step_uses_the_gates_view_and_label_smoothing():
    seen = []
    disc = _disc(in_channels=4)
    disc.register_forward_hook(lambda m, a, o: seen.append(a[0].clone()))
    wrapper = OptimWrapper(torch.optim.SGD(disc.parameters(), lr=0.))
    real = torch.ones(1, 1, 32, 32)
    prob = torch.full((2, 1, 32, 32), 0.7)
    image = torch.randn(2, 3, 32, 32)
    log = {}
    discriminator_step(disc, MaskQualityGate(with_image=True), wrapper,
                       real, image, {'a': (prob, 0.5)}, 0.9, log)
    x = seen[0]
    assert x.shape == (3, 4, 32, 32)            # 1 real + 2 fakes
    assert torch.equal(x[0, :3], image[0]) and torch.equal(x[1:, :3], image)
    assert torch.equal(x[1:, 3:], torch.ones(2, 1, 32, 32))  # thresholded
    seen.clear()
    disc1 = _disc()
    disc1.register_forward_hook(lambda m, a, o: seen.append(a[0].clone()))
    discriminator_step(disc1, PaperGate(), OptimWrapper(
        torch.optim.SGD(disc1.parameters(), lr=0.)), real, image,
        {'a': (prob, 0.5)}, 1.0, {})
    assert torch.allclose(seen[0][1:], prob)   # the paper gate: soft maps
    # one-sided smoothing: the real target is 0.9, so a D that outputs
    # exactly logit(0.9) on reals has the minimal real loss
    with torch.no_grad():
        for p in disc.parameters():
            p.zero_()
    log = {}
    discriminator_step(disc, MaskQualityGate(with_image=True), wrapper,
                       real, image, {'a': (prob, 0.5)}, 0.9, log)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    assert log['disc.loss_real'] == pytest.approx(
        bce(torch.zeros(1), torch.full((1,), 0.9)).item(), abs=1e-6)


def test_discriminator_leaves_the_generators_random_draws_unchanged():
    """With and without D the generators start equal and, without L_adv,
    take bit-identical supervised steps (paired Table 9 ablations)."""
    torch.manual_seed(0)
    with_d = build(lambda_adv=0.0)
    after_with = torch.rand(3)
    torch.manual_seed(0)
    without_d = build(disc=False)
    assert torch.equal(after_with, torch.rand(3))
    for name in ('generator_a', 'generator_b'):
        assert same(snapshot(getattr(with_d, name)),
                    snapshot(getattr(without_d, name)))
    torch.manual_seed(1)
    with_d.train_step(make_batch(2, 0), make_optim(with_d))
    torch.manual_seed(1)
    without_d.train_step(make_batch(2, 0), make_optim(without_d))
    for name in ('generator_a', 'generator_b'):
        assert same(snapshot(getattr(with_d, name)),
                    snapshot(getattr(without_d, name)))
