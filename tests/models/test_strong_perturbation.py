"""StrongPerturbation (bus_mm/models/utils/strong_perturbation.py): the
strong view of a preprocessed batch and the CutMix of its pseudo-labels."""
import pytest
import torch

from bus_mm.models.utils import StrongPerturbation
from mmseg.registry import MODELS

# a preprocessor's per-channel mean and std on the 0-255 scale
MEAN = torch.tensor([120., 110., 100.])
STD = torch.tensor([60., 55., 50.])
OFF = dict(intensity_prob=0., blur_prob=0., speckle_prob=0., cutmix_prob=0.)


def images(n=6, seed=0, size=32):
    """Preprocessed grey images (the three channels equal) with values
    over the whole 0-255 range."""
    g = torch.Generator().manual_seed(seed)
    raw = torch.rand(n, 1, size, size, generator=g) * 255
    raw[:, :, :4] = 0.
    raw[:, :, -4:] = 255.
    raw = raw.expand(n, 3, size, size)
    return (raw - MEAN.view(1, 3, 1, 1)) / STD.view(1, 3, 1, 1)


def to_255(x):
    return x * STD.view(1, 3, 1, 1) + MEAN.view(1, 3, 1, 1)


def test_output_shape_dtype_and_cutmix_outputs():
    x = images()
    torch.manual_seed(0)
    y, source, box = StrongPerturbation()(x, MEAN, STD)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert not y.requires_grad
    assert source.shape == (6, ) and source.dtype == torch.long
    assert box.shape == (6, 1, 32, 32) and box.dtype == torch.bool
    y16, _, _ = StrongPerturbation()(x.to(torch.bfloat16), MEAN, STD)
    assert y16.dtype == torch.bfloat16
    assert isinstance(MODELS.build(dict(type='StrongPerturbation')),
                      StrongPerturbation)


def test_zero_probabilities_give_the_identity():
    x = images()
    y, source, box = StrongPerturbation(**OFF)(x, MEAN, STD)
    assert torch.allclose(y, x, atol=1e-5)
    assert torch.equal(source, torch.arange(6)) and not box.any()
    # without mean and std the inputs are on the 0-255 scale
    raw = to_255(x)
    y, _, _ = StrongPerturbation(**OFF)(raw)
    assert torch.allclose(y, raw, atol=1e-4)


def test_cutmix_never_pastes_an_image_into_itself():
    perturb = StrongPerturbation(cutmix_prob=0.5)
    pasted = 0
    for seed in range(30):
        torch.manual_seed(seed)
        n = 2 + seed % 5
        source, box = perturb.cutmix_boxes(n, (16, 16), 'cpu')
        has_box = box.flatten(1).any(1)
        assert (source[has_box] != torch.arange(n)[has_box]).all()
        assert torch.equal(source[~has_box], torch.arange(n)[~has_box])
        assert ((source >= 0) & (source < n)).all()
        pasted += int(has_box.sum())
    assert pasted > 0
    # one image: nothing to mix with
    source, box = StrongPerturbation(cutmix_prob=1.).cutmix_boxes(
        1, (16, 16), 'cpu')
    assert source.tolist() == [0] and not box.any()


def test_cutmix_boxes_are_rectangles_of_the_asked_area():
    perturb = StrongPerturbation(cutmix_prob=1., cutmix_area=(0.2, 0.3))
    torch.manual_seed(0)
    source, box = perturb.cutmix_boxes(50, (64, 64), 'cpu')
    for b in box[:, 0]:
        rows, cols = b.any(1).nonzero(), b.any(0).nonzero()
        h = int(rows.max() - rows.min() + 1)
        w = int(cols.max() - cols.min() + 1)
        assert int(b.sum()) == h * w  # one filled rectangle
    share = box.flatten(1).float().mean(1)
    # rounding and clipping to the image blur the range a little
    assert (share > 0.12).all() and (share < 0.4).all()


def test_mix_pastes_labels_and_images_with_the_same_box():
    """Image i is the constant 10 i and its label the constant i: after the
    perturbation and the mix, every pixel's label says which image it came
    from."""
    n = 5
    x = torch.arange(n, dtype=torch.float).mul(10).view(n, 1, 1, 1).expand(
        n, 3, 32, 32).contiguous()
    labels = torch.arange(n).view(n, 1, 1, 1).expand(n, 1, 32, 32)
    perturb = StrongPerturbation(**dict(OFF, cutmix_prob=1.))
    torch.manual_seed(0)
    y, source, box = perturb(x)  # no mean/std: x is on the 0-255 scale
    mixed = perturb.mix(labels, source, box)
    assert box.flatten(1).any(1).all()
    assert torch.allclose(y[:, :1], mixed.float() * 10, atol=1e-3)
    assert torch.equal(mixed, torch.where(box, labels[source], labels))
    # weights (any per-pixel tensor) are mixed the same way
    w = torch.tensor([1., 0., 1., 0., 1.]).view(n, 1, 1, 1).expand(
        n, 1, 32, 32)
    assert torch.equal(perturb.mix(w, source, box),
                       mixed.float().remainder(2).eq(0).float())


@pytest.mark.parametrize('option', ['intensity_prob', 'blur_prob',
                                    'speckle_prob'])
def test_perturbations_keep_values_in_the_preprocessors_range(option):
    x = images()
    perturb = StrongPerturbation(**dict(
        OFF, **{option: 1.}), brightness=1., contrast=1., gamma=(0.1, 10.),
        blur_sigma=(0.5, 3.), speckle_std=1.)
    for seed in range(3):
        torch.manual_seed(seed)
        y, _, _ = perturb(x, MEAN, STD)
        raw = to_255(y)
        assert raw.min() >= -1e-3 and raw.max() <= 255 + 1e-3
        assert not torch.allclose(y, x, atol=1e-3)  # it did something
        # a grey image stays grey
        assert torch.allclose(raw[:, 0], raw[:, 1], atol=1e-3)


def test_blur_smooths_and_speckle_roughens():
    x = images()
    torch.manual_seed(0)
    blurred, _, _ = StrongPerturbation(**dict(OFF, blur_prob=1.))(
        x, MEAN, STD)

    def roughness(t):
        return (t[..., 1:] - t[..., :-1]).abs().mean()

    assert roughness(blurred) < 0.8 * roughness(x)
    flat = torch.zeros(6, 3, 16, 32)  # the mean colour: no texture
    speckled, _, _ = StrongPerturbation(**dict(OFF, speckle_prob=1.))(
        flat, MEAN, STD)
    assert roughness(flat) == 0 and roughness(speckled) > 0.01


def test_each_image_is_perturbed_with_its_probability():
    x = images(n=200)
    torch.manual_seed(0)
    y, _, _ = StrongPerturbation(**dict(OFF, intensity_prob=0.3))(
        x, MEAN, STD)
    changed = ~torch.isclose(y, x, atol=1e-4).flatten(1).all(1)
    assert 0.2 < changed.float().mean() < 0.4


@pytest.mark.parametrize('kwargs,name', [
    (dict(intensity_prob=1.5), 'intensity_prob'),
    (dict(blur_prob=-0.1), 'blur_prob'),
    (dict(speckle_prob=2.), 'speckle_prob'),
    (dict(cutmix_prob=-1.), 'cutmix_prob'),
    (dict(brightness=1.5), 'brightness'),
    (dict(contrast=-0.1), 'contrast'),
    (dict(speckle_std=3.), 'speckle_std'),
    (dict(gamma=(1.6, 0.6)), 'gamma'),
    (dict(gamma=(0.05, 1.)), 'gamma'),
    (dict(gamma=(0.6, 1.0, 1.6)), 'gamma'),
    (dict(blur_sigma=(0., 1.)), 'blur_sigma'),
    (dict(cutmix_area=(0.5, 1.2)), 'cutmix_area'),
    (dict(cutmix_area=(0.4, 0.1)), 'cutmix_area'),
])
def test_bad_options_raise_naming_the_option(kwargs, name):
    with pytest.raises(ValueError, match=name):
        StrongPerturbation(**kwargs)
