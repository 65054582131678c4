"""Tests of ASSGAN's losses (bus_mm/models/segmentors/assgan_losses.py):
the supervised head losses, L_adv, D's loss and L_semi."""
import pytest
import torch
import torch.nn.functional as F

from bus_mm.models.segmentors.assgan_generators import run_generator
from bus_mm.models.segmentors.assgan_losses import (adversarial_loss,
                                                    discriminator_loss,
                                                    pseudo_samples,
                                                    semi_loss, sum_losses,
                                                    supervised_losses)
from tests.models.test_assgan import SIZE, build, make_batch


def setup(n=4, seed=0):
    """A tiny ASSGAN (A: sigmoid, B: softmax), ``n`` unlabeled samples,
    random logits of both heads and random pseudo-labels with ignore
    pixels."""
    model = build()
    samples = make_batch(0, n)['data_samples']
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n, 1, SIZE, SIZE), generator=g)
    labels[:, :, :4] = 255  # ignore pixels
    logits = {
        'generator_a': torch.randn(n, 1, 8, 8, generator=g).requires_grad_(),
        'generator_b': torch.randn(n, 2, 8, 8, generator=g).requires_grad_(),
    }
    return model, samples, labels, logits


def head_loss(gen, logits, samples, labels):
    """The receiver's decode-head loss on ``labels`` as one batch."""
    return sum_losses(gen.decode_head.loss_by_feat(
        logits, pseudo_samples(samples, labels)))


@pytest.mark.parametrize('name', ['generator_a', 'generator_b'])
def test_binary_weights_give_the_head_loss_of_the_accepted_subset(name):
    model, samples, labels, logits = setup()
    gen = getattr(model, name)
    weights = torch.tensor([1., 0., 1., 0.])
    loss = semi_loss(gen, logits[name], samples, labels, weights)
    want = head_loss(gen, logits[name][[0, 2]], [samples[0], samples[2]],
                     labels[[0, 2]])
    assert torch.equal(loss, want)
    # lambda_semi scales it
    assert torch.allclose(
        semi_loss(gen, logits[name], samples, labels, weights, 2.5),
        2.5 * want)
    # only the accepted images get gradients
    loss.backward()
    grad = logits[name].grad.flatten(1).abs().sum(1)
    assert grad[[1, 3]].sum() == 0 and (grad[[0, 2]] > 0).all()
    # all accepted: the head loss of the whole batch
    all_in = semi_loss(gen, logits[name], samples, labels, torch.ones(4))
    assert torch.equal(all_in, head_loss(gen, logits[name], samples, labels))


@pytest.mark.parametrize('name', ['generator_a', 'generator_b'])
def test_soft_weights_give_the_weighted_mean_of_per_image_losses(name):
    model, samples, labels, logits = setup()
    gen = getattr(model, name)
    weights = torch.tensor([0.9, 0.0, 0.3, 1.0])
    per_image = [
        semi_loss(gen, logits[name][i:i + 1], samples[i:i + 1],
                  labels[i:i + 1], torch.ones(1)) for i in range(4)
    ]
    want = sum(w * l for w, l in zip(weights, per_image)) / weights.sum()
    loss = semi_loss(gen, logits[name], samples, labels, weights)
    assert torch.allclose(loss, want, rtol=1e-6)
    assert torch.allclose(
        semi_loss(gen, logits[name], samples, labels, weights, 0.5),
        0.5 * want, rtol=1e-6)
    # scaling every weight leaves the loss alone (no change of scale) ...
    assert torch.allclose(
        semi_loss(gen, logits[name], samples, labels, weights * 0.5), loss,
        rtol=1e-6)
    # ... and differs from the unweighted mean of the accepted images
    flat = semi_loss(gen, logits[name], samples, labels,
                     (weights > 0).float())
    assert not torch.allclose(loss, flat)
    loss.backward()
    grad = logits[name].grad.flatten(1).abs().sum(1)
    assert grad[1] == 0 and (grad[[0, 2, 3]] > 0).all()


def test_all_zero_weights_give_none():
    model, samples, labels, logits = setup()
    for name in ('generator_a', 'generator_b'):
        assert semi_loss(getattr(model, name), logits[name], samples,
                         labels, torch.zeros(4)) is None


def test_pseudo_samples_carry_labels_and_metainfo():
    _, samples, labels, _ = setup(n=2)
    pseudo = pseudo_samples(samples, labels)
    for p, s, lab in zip(pseudo, samples, labels):
        assert p.metainfo == s.metainfo
        assert torch.equal(p.gt_sem_seg.data, lab)
        assert p is not s


def test_sum_losses_follows_mmengines_rule():
    losses = dict(loss_ce=torch.tensor([1., 3.]), acc_seg=torch.tensor(99.),
                  aux_loss=[torch.tensor(1.), torch.tensor([2., 4.])])
    assert float(sum_losses(losses)) == pytest.approx(2. + 1. + 3.)
    assert sum_losses({'acc': torch.tensor(1.)}) == 0.


def test_supervised_losses_equal_the_generators_own_loss():
    """One forward's logits give exactly the losses of the generator's own
    ``loss`` (decode + auxiliary heads, same names)."""
    torch.manual_seed(0)
    model = build(dropout=0.)
    data = model.data_preprocessor(make_batch(2, 0), True)
    x, samples = data['inputs'], data['data_samples']
    for name, keys in (('generator_a', {'decode.loss_ce', 'decode.acc_seg',
                                        'aux.loss_ce', 'aux.acc_seg'}),
                       ('generator_b', {'decode.loss_ce',
                                        'decode.acc_seg'})):
        gen = getattr(model, name)
        logits, aux = run_generator(gen, name, x, 2)
        ours = supervised_losses(gen, logits, aux, samples)
        theirs = gen.loss(x, samples)
        assert set(ours) == set(theirs) == keys
        for k in keys:
            assert torch.allclose(ours[k], theirs[k]), (name, k)
    # without the auxiliary logits, the decode head's losses only
    gen = model.generator_a
    logits, _ = run_generator(gen, 'generator_a', x, 0)
    assert set(supervised_losses(gen, logits, None, samples)) == {
        'decode.loss_ce', 'decode.acc_seg'}


def test_adversarial_and_discriminator_losses():
    d = torch.randn(3, 1, 2, 2)
    assert torch.allclose(adversarial_loss(d, 0.01),
                          0.01 * F.softplus(-d).mean())
    real, fake = torch.randn(2, 1, 2, 2), torch.randn(4, 1, 2, 2)
    loss_real, loss_fake = discriminator_loss(real, fake)
    assert torch.allclose(loss_real, F.softplus(-real).mean())
    assert torch.allclose(loss_fake, F.softplus(fake).mean())
    # a D sure of both is nearly loss-free, a fooled one is not
    big = torch.full((2, 1, 2, 2), 20.)
    assert sum(discriminator_loss(big, -big)) < 1e-6
    assert sum(discriminator_loss(-big, big)) > 10
