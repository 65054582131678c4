"""ASSGAN's D update (Eq. 3, ``ASSGAN.train_discriminator``): what D sees,
what it learns, what it logs; and what adding D changes (nothing before the
semi-supervised phase)."""
import pytest
import torch
from mmengine.structures import PixelData

from bus_mm.models.segmentors.assgan_generators import valid_mask
from bus_mm.models.segmentors.assgan_state import Batch, GeneratorOutput
from tests.models.test_assgan import (GENS, SIZE, build, make_batch,
                                      make_optim, same, snapshot)


def _batch(model, nl=2, nu=0):
    """A preprocessed :class:`Batch` with its valid mask."""
    data = model.data_preprocessor(make_batch(nl, nu), True)
    samples = data['data_samples']
    lab = [i for i, s in enumerate(samples) if s.metainfo['labeled']]
    batch = Batch.select(data['inputs'], samples, lab, nu > 0)
    batch.valid = valid_mask(batch.samples, batch.x.shape[-2:],
                             batch.x.device)
    return batch


def _outs(probs, threshold=0.5):
    return {name: GeneratorOutput(None, None, prob, threshold)
            for name, prob in zip(GENS, probs)}


def test_d_step_learns_real_vs_fake_and_logs():
    torch.manual_seed(0)
    model = build(discriminator=dict(type='PatchDiscriminator',
                                     in_channels=4, base_channels=8))
    optim = make_optim(model, lr=1e-2)
    batch = _batch(model, nl=3)
    prob_a = torch.rand(3, 1, SIZE, SIZE, requires_grad=True)  # noise
    prob_b = torch.rand(3, 1, SIZE, SIZE)
    logs = [model.train_discriminator(batch, _outs([prob_a, prob_b]),
                                      optim) for _ in range(40)]
    first, last = logs[0], logs[-1]
    assert set(last) == {'disc.loss_real', 'disc.loss_fake', 'score_real',
                         'score_a', 'score_b', 'loss_d'}
    assert last['loss_d'] < 0.5 * first['loss_d']
    assert last['score_real'] > 0.8 > 0.2 > max(last['score_a'],
                                                last['score_b'])
    assert last['loss_d'] == pytest.approx(last['disc.loss_real'] +
                                           last['disc.loss_fake'])
    assert prob_a.grad is None                  # fakes are detached


@pytest.mark.parametrize('binarize,with_image', [(True, True),
                                                 (False, False),
                                                 (True, False)])
def test_d_sees_reals_and_fakes_through_the_same_view(binarize, with_image):
    channels = 4 if with_image else 1
    model = build(
        discriminator=dict(type='PatchDiscriminator', in_channels=channels,
                           base_channels=4),
        semi_train_cfg=dict(d_input=dict(binarize=binarize,
                                         with_image=with_image)))
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, a: seen.append(a[0].detach().clone()))
    batch = _batch(model)
    prob_a = torch.full((2, 1, SIZE, SIZE), 0.7)
    prob_b = torch.full((2, 1, SIZE, SIZE), 0.3)
    model.train_discriminator(batch, _outs([prob_a, prob_b]),
                              make_optim(model))
    x, = seen
    assert x.shape == (6, channels, SIZE, SIZE)  # 2 real + 2 x 2 fakes
    mask = x[:, -1:]
    real = torch.stack([s.gt_sem_seg.data for s in batch.samples]).float()
    assert torch.equal(mask[:2], real)
    if binarize:
        assert torch.equal(mask[2:4], torch.ones(2, 1, SIZE, SIZE))
        assert torch.equal(mask[4:], torch.zeros(2, 1, SIZE, SIZE))
    else:
        assert torch.equal(mask[2:4], prob_a) and torch.equal(mask[4:],
                                                              prob_b)
    if with_image:
        assert torch.equal(x[:, :3], batch.x.repeat(3, 1, 1, 1))


def test_fakes_use_each_generators_threshold():
    model = build()
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, a: seen.append(a[0].detach().clone()))
    batch = _batch(model)
    prob = torch.full((2, 1, SIZE, SIZE), 0.7)
    outs = {'generator_a': GeneratorOutput(None, None, prob, 0.8),
            'generator_b': GeneratorOutput(None, None, prob, 0.5)}
    model.train_discriminator(batch, outs, make_optim(model))
    assert (seen[0][2:4, 3] == 0).all() and (seen[0][4:, 3] == 1).all()


def test_padding_and_ignore_pixels_are_zero_in_real_masks():
    model = build()
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, a: seen.append(a[0].detach().clone()))
    batch = _batch(model)
    gt = batch.samples[0].gt_sem_seg.data.clone()
    gt[:] = 1
    gt[..., :4] = 255          # ignore pixels
    batch.samples[0].gt_sem_seg = PixelData(data=gt)
    batch.valid = valid_mask(batch.samples, batch.x.shape[-2:], 'cpu')
    model.train_discriminator(
        batch, _outs([torch.ones(2, 1, SIZE, SIZE)] * 2), make_optim(model))
    real = seen[0][0, 3]
    assert (real[:, :4] == 0).all() and (real[:, 4:] == 1).all()


def test_d_channels_are_checked_against_the_image_channels():
    model = build(discriminator=dict(type='PatchDiscriminator',
                                     in_channels=2, base_channels=4))
    with pytest.raises(ValueError, match='model.discriminator.in_channels=4'):
        model.train_step(make_batch(2, 0), make_optim(model))


def test_discriminator_leaves_the_generators_random_draws_unchanged():
    """With and without D the generators start equal and, without L_adv,
    take bit-identical supervised steps (paired Table 9 ablations)."""
    torch.manual_seed(0)
    with_d = build(semi_train_cfg=dict(lambda_adv=0.0))
    after_with = torch.rand(3)
    torch.manual_seed(0)
    without_d = build(disc=False)
    assert torch.equal(after_with, torch.rand(3))
    for name in GENS:
        assert same(snapshot(getattr(with_d, name)),
                    snapshot(getattr(without_d, name)))
    torch.manual_seed(1)
    with_d.train_step(make_batch(2, 0), make_optim(with_d))
    torch.manual_seed(1)
    without_d.train_step(make_batch(2, 0), make_optim(without_d))
    for name in GENS:
        assert same(snapshot(getattr(with_d, name)),
                    snapshot(getattr(without_d, name)))


def test_d_learns_only_with_labeled_images():
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0))
    before = snapshot(model.discriminator)
    log = model.train_step(make_batch(0, 3), make_optim(model))
    assert not any(k.startswith('disc.') for k in log)
    assert same(before, snapshot(model.discriminator))
