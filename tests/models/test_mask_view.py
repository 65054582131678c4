"""MaskView (bus_mm/models/discriminators/mask_view.py): what D sees of a
mask, the same for real and fake masks."""
import pytest
import torch

from bus_mm.models.discriminators.mask_view import MaskView
from mmseg.registry import MODELS


def _disc(in_channels):
    return MODELS.build(dict(type='PatchDiscriminator',
                             in_channels=in_channels, base_channels=4))


def test_binarize_thresholds_with_a_straight_through_gradient():
    prob = torch.rand(2, 1, 8, 8, requires_grad=True)
    out = MaskView(binarize=True, with_image=False)(prob, None, 0.5)
    assert out.dtype == prob.dtype
    assert torch.equal(out.detach(), (prob > 0.5).float())
    # straight-through: L_adv's gradient reaches every probability as it is
    weight = torch.randn(2, 1, 8, 8)
    (out * weight).sum().backward()
    assert torch.equal(prob.grad, weight)
    # the generator's own threshold
    out = MaskView(with_image=False)(prob.detach(), None, threshold=0.8)
    assert torch.equal(out, (prob.detach() > 0.8).float())
    # real masks (0/1, no gradient) come out as they are
    gt = (torch.rand(2, 1, 8, 8) > 0.5).float()
    assert torch.equal(MaskView(with_image=False)(gt, None), gt)


def test_soft_view_passes_the_map_unchanged():
    prob = torch.rand(2, 1, 8, 8, requires_grad=True)
    view = MaskView(binarize=False, with_image=False)
    assert view(prob, torch.randn(2, 3, 8, 8)) is prob


def test_with_image_concatenates_the_detached_image_first():
    img = torch.randn(2, 3, 8, 8, requires_grad=True)
    prob = torch.rand(2, 1, 8, 8, requires_grad=True)
    out = MaskView(binarize=False, with_image=True)(prob, img)
    assert out.shape == (2, 4, 8, 8)
    assert torch.equal(out[:, :3], img.detach())
    assert torch.equal(out[:, 3:], prob.detach())
    out.sum().backward()
    assert img.grad is None and prob.grad is not None
    # the image takes the mask's dtype (e.g. a float mask beside bf16 input)
    out = MaskView()(prob.detach(), img.detach().to(torch.bfloat16))
    assert out.dtype == torch.float32
    assert torch.equal(out[:, 3:], (prob.detach() > 0.5).float())


def test_defaults_and_repr():
    view = MaskView()
    assert view.binarize and view.with_image
    assert repr(view) == 'MaskView(binarize=True, with_image=True)'


def test_channel_check_names_the_setting_to_change():
    # with the image: image channels + 1, once the image channels are known
    view = MaskView(with_image=True)
    view.check(_disc(4))
    view.check(_disc(4), image_channels=3)
    view.check(_disc(2), image_channels=1)
    with pytest.raises(ValueError,
                       match='model.discriminator.in_channels=image '
                       'channels'):
        view.check(_disc(1))
    with pytest.raises(ValueError, match='model.discriminator.in_channels=4'):
        view.check(_disc(2), image_channels=3)
    with pytest.raises(ValueError, match='model.discriminator.in_channels=2'):
        view.check(_disc(4), image_channels=1)
    # the mask alone: 1 channel
    view = MaskView(with_image=False)
    view.check(_disc(1), image_channels=3)
    with pytest.raises(ValueError, match='model.discriminator.in_channels=1'):
        view.check(_disc(4))
    with pytest.raises(ValueError, match='with_image=False'):
        view.check(_disc(4), image_channels=3)
    # a D that does not state its channels is not checked
    view.check(torch.nn.Sequential(torch.nn.Conv2d(4, 1, 3)))
