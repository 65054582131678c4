# Copyright (c) bus_mm contributors. All rights reserved.
import copy

import numpy as np
import pytest

from bus_mm.datasets.transforms.random_gamma import RandomGamma
from mmseg.registry import TRANSFORMS


def _make_results(h=32, w=40, seed=0):
    """Random dark background with a bright square exactly where mask=1."""
    rng = np.random.RandomState(seed)
    mask = np.zeros((h, w), np.uint8)
    mask[8:20, 10:26] = 1
    img = rng.randint(0, 100, (h, w, 3)).astype(np.uint8)
    img[mask == 1] = rng.randint(200, 256, (int(mask.sum()), 3))
    return dict(
        img=img, gt_seg_map=mask, seg_fields=['gt_seg_map'],
        img_shape=(h, w))


def test_registered():
    assert TRANSFORMS.get('RandomGamma') is RandomGamma
    t = TRANSFORMS.build(dict(type='RandomGamma', prob=1.))
    assert isinstance(t, RandomGamma)


def test_uint8_formula_and_mask_untouched():
    results = _make_results()
    img0, mask0 = results['img'].copy(), results['gt_seg_map'].copy()
    out = RandomGamma(prob=1., gamma_range=(1.5, 1.5))(results)
    assert out['img'].dtype == np.uint8
    assert out['img'].shape == img0.shape
    expected = np.round(255. * (img0 / 255.)**1.5).astype(np.uint8)
    np.testing.assert_array_equal(out['img'], expected)
    np.testing.assert_array_equal(out['gt_seg_map'], mask0)
    assert out['gt_seg_map'].dtype == np.uint8
    # a monotonic curve keeps the bright square exactly on the mask
    assert out['img'][mask0 == 1].min() > out['img'][mask0 == 0].max()


def test_direction_of_gamma():
    grey = np.full((4, 4, 3), 128, np.uint8)
    ends = np.array([[[0, 255, 0]]], np.uint8)
    dark = RandomGamma(1., (1.5, 1.5))(dict(img=grey.copy()))['img']
    bright = RandomGamma(1., (0.5, 0.5))(dict(img=grey.copy()))['img']
    assert (dark < 128).all() and (bright > 128).all()
    assert dark[0, 0, 0] == 91  # 255 * (128 / 255) ** 1.5 = 90.7
    assert bright[0, 0, 0] == 181  # 255 * (128 / 255) ** 0.5 = 180.7
    # 0 and 255 are fixed points
    for g in (0.5, 1.5):
        out = RandomGamma(1., (g, g))(dict(img=ends.copy()))['img']
        np.testing.assert_array_equal(out, ends)


def test_float_image_keeps_dtype():
    img = np.array([[0., 63.75, 127.5, 255.]], np.float32)[..., None]
    out = RandomGamma(1., (2., 2.))(dict(img=img.copy()))['img']
    assert out.dtype == np.float32 and out.shape == img.shape
    np.testing.assert_allclose(
        out[..., 0], [[0., 15.9375, 63.75, 255.]], rtol=1e-5)


def test_unsupported_dtype_raises():
    with pytest.raises(TypeError, match='uint8 or float'):
        RandomGamma(1.)(dict(img=np.zeros((4, 4), np.uint16)))


def test_prob_zero_is_identity():
    results = _make_results()
    expected = copy.deepcopy(results)
    out = RandomGamma(prob=0.)(results)
    np.testing.assert_array_equal(out['img'], expected['img'])
    np.testing.assert_array_equal(out['gt_seg_map'], expected['gt_seg_map'])


def test_random_gamma_in_range_and_deterministic():
    grey = np.full((2, 2), 128, np.uint8)
    t = RandomGamma(prob=1., gamma_range=(0.5, 1.5))
    outs = []
    for seed in range(20):
        np.random.seed(seed)
        outs.append(int(t(dict(img=grey.copy()))['img'][0, 0]))
    # 255 * (128/255) ** g for g in [0.5, 1.5]
    assert all(90 <= v <= 181 for v in outs)
    assert len(set(outs)) > 1  # gamma really is random
    assert min(outs) < 128 < max(outs)  # both darkening and brightening
    np.random.seed(3)
    again = int(t(dict(img=grey.copy()))['img'][0, 0])
    assert again == outs[3]


def test_repr():
    assert repr(RandomGamma(0.3, (0.7, 1.2))) == \
        'RandomGamma(prob=0.3, gamma_range=(0.7, 1.2))'


@pytest.mark.parametrize('kwargs, match', [
    (dict(gamma_range=(0., 1.)), 'gamma_range'),
    (dict(gamma_range=(-1., 1.)), 'gamma_range'),
    (dict(gamma_range=(1.5, 0.5)), 'gamma_range'),
    (dict(gamma_range=(1., )), 'gamma_range'),
    (dict(gamma_range='wide'), 'gamma_range'),
    (dict(prob=1.5), 'prob'),
    (dict(prob=-0.1), 'prob'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomGamma(**kwargs)
