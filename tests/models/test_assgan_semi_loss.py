"""Tests of L_semi, ASSGAN's cross teaching (assgan_semi_loss.py)."""
import pytest
import torch

from bus_mm.models.segmentors.assgan_semi_loss import semi_losses
from .test_assgan import SIZE, build, make_batch, make_optim


def setup(accepted_a, accepted_b, two=True):
    model = build(two=two)
    optim = make_optim(model)
    samples = make_batch(1, 3)['data_samples']  # 1 labeled + 3 unlabeled
    torch.manual_seed(0)
    labels = torch.randint(0, 2, (3, 1, SIZE, SIZE))
    labels[:, :, :4] = 255  # ignore pixels
    outs = {'generator_a': dict(
        logits=torch.randn(4, 1, 8, 8, requires_grad=True),
        accepted=torch.tensor(accepted_a), labels=labels)}
    if two:
        outs['generator_b'] = dict(
            logits=torch.randn(4, 2, 8, 8, requires_grad=True),
            accepted=torch.tensor(accepted_b), labels=labels.clone())
    gens = {n: getattr(model, n) for n in outs}
    return model, optim, samples, outs, gens


def test_each_generator_teaches_the_other_on_accepted_images_only():
    model, optim, samples, outs, gens = setup([True, False, True],
                                              [False, False, False])
    losses, ids = semi_losses(outs, samples, 1, gens, optim)
    assert set(losses) == {'generator_b'}  # only A gave a pseudo-label
    assert ids == {'generator_a': ['img1', 'img3'], 'generator_b': []}
    losses['generator_b'].backward()
    grad = outs['generator_b']['logits'].grad
    assert grad[[0, 2]].abs().sum() == 0  # labeled + rejected image
    assert grad[1].abs().sum() > 0 and grad[3].abs().sum() > 0
    assert outs['generator_a']['logits'].grad is None
    # the receiver's own decode loss on A's pseudo-labels (ignore honoured)
    pseudo = [samples[1], samples[3]]
    for s, lab in zip(pseudo, outs['generator_a']['labels'][[0, 2]]):
        s.gt_sem_seg = type(samples[0].gt_sem_seg)(data=lab)
    head = model.generator_b.decode_head
    want = sum(v for k, v in head.loss_by_feat(
        outs['generator_b']['logits'][[1, 3]], pseudo).items()
        if k.startswith('loss'))
    assert torch.allclose(losses['generator_b'], want)


def test_eq4_normalization_and_weight():
    _, optim, samples, outs, gens = setup([True, False, False],
                                          [True, True, True])
    mean, _ = semi_losses(outs, samples, 1, gens, optim, lambda_semi=2.0)
    eq4, _ = semi_losses(outs, samples, 1, gens, optim, lambda_semi=2.0,
                         normalize='unlabeled')
    # A's pseudo-label on 1 of 3 images teaches B; B's on 3 of 3 teach A
    assert torch.allclose(eq4['generator_b'], mean['generator_b'] / 3)
    assert torch.allclose(eq4['generator_a'], mean['generator_a'])
    half, _ = semi_losses(outs, samples, 1, gens, optim, lambda_semi=1.0)
    assert torch.allclose(half['generator_a'] * 2, mean['generator_a'])


def test_single_generator_teaches_itself_and_hook_sees_pseudo_labels():
    _, optim, samples, outs, gens = setup([False, True, False], None,
                                          two=False)
    seen = []

    def spy(batch, labels):
        seen.append([s.metainfo['sample_id'] for s in batch])
        from bus_mm.models.segmentors.assgan_generators import pseudo_samples
        return pseudo_samples(batch, labels)

    losses, ids = semi_losses(outs, samples, 1, gens, optim, make_pseudo=spy)
    assert set(losses) == {'generator_a'} and ids == {'generator_a': ['img2']}
    assert seen == [['img2']]
    with pytest.raises(KeyError):
        semi_losses(outs, samples, 1, gens, {})  # no optim wrapper for A
