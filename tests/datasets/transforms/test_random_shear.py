# Copyright (c) bus_mm contributors. All rights reserved.
import copy

import numpy as np
import pytest

from bus_mm.datasets.transforms.random_shear import RandomShear
from mmseg.registry import TRANSFORMS


def _make_results(h=48, w=48, seed=0, mask_dtype=np.uint8, channels=3):
    """Random dark background with a bright square exactly where mask=1."""
    rng = np.random.RandomState(seed)
    mask = np.zeros((h, w), mask_dtype)
    mask[14:34, 14:34] = 1
    img = rng.randint(0, 60, (h, w, channels)).astype(np.uint8)
    img[mask == 1] = 250
    return dict(
        img=img, gt_seg_map=mask, seg_fields=['gt_seg_map'],
        img_shape=(h, w))


def _iou(a, b):
    return np.logical_and(a, b).sum() / np.logical_or(a, b).sum()


def _bright(img):
    return img.reshape(img.shape[0], img.shape[1], -1).mean(-1) > 155


def test_registered():
    assert TRANSFORMS.get('RandomShear') is RandomShear
    t = TRANSFORMS.build(dict(type='RandomShear', prob=1.))
    assert isinstance(t, RandomShear)


@pytest.mark.parametrize('direction', ['horizontal', 'vertical', 'both'])
@pytest.mark.parametrize('magnitude', [-0.3, 0.3])
def test_image_and_mask_stay_aligned(direction, magnitude):
    results = _make_results()
    mask0 = results['gt_seg_map'].copy()
    t = RandomShear(
        prob=1., shear_range=(magnitude, magnitude), direction=direction)
    out = t(results)
    mask = out['gt_seg_map']
    assert mask.shape == mask0.shape and mask.dtype == np.uint8
    assert out['img'].shape == (48, 48, 3) and out['img'].dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 1}
    assert not np.array_equal(mask, mask0)  # it really was sheared
    assert mask.sum() > 0.8 * mask0.sum()  # lesion mostly kept in frame
    assert _iou(_bright(out['img']), mask == 1) > 0.9


def test_horizontal_shear_geometry():
    """mmcv convention: x' = x + m * y, so lower rows move right (m > 0)."""
    results = _make_results()
    mask = RandomShear(1., (0.3, 0.3))(results)['gt_seg_map']
    cols_top = np.nonzero(mask[15])[0].mean()
    cols_bottom = np.nonzero(mask[32])[0].mean()
    assert cols_bottom - cols_top == pytest.approx(0.3 * 17, abs=1.)
    # rows are unchanged by a horizontal shear
    np.testing.assert_array_equal(
        np.nonzero(mask.any(1))[0], np.arange(14, 34))


def test_extra_seg_fields_and_int64_masks():
    results = _make_results(mask_dtype=np.int64)
    mask0 = results['gt_seg_map'].copy()
    results['gt_easy_part'] = results['gt_seg_map'].copy()
    results['gt_hard_part'] = (1 - results['gt_seg_map']).astype(np.int64)
    results['not_a_seg_field'] = results['gt_seg_map'].copy()
    results['seg_fields'] = ['gt_seg_map', 'gt_easy_part', 'gt_hard_part']
    out = RandomShear(1., (0.25, 0.25), direction='both')(results)
    for key in ('gt_seg_map', 'gt_easy_part', 'gt_hard_part'):
        assert out[key].dtype == np.int64
        assert set(np.unique(out[key])) <= {0, 1}
    np.testing.assert_array_equal(out['gt_easy_part'], out['gt_seg_map'])
    # inside the frame the complement is sheared identically; the uncovered
    # border is padded with 0 in every map
    covered = out['gt_hard_part'] + out['gt_seg_map']
    assert set(np.unique(covered)) == {0, 1}
    # keys not listed in seg_fields are left alone
    np.testing.assert_array_equal(out['not_a_seg_field'], mask0)


def test_masks_use_nearest_interpolation():
    """Label maps with an ignore (255) band keep only their own values."""
    results = _make_results()
    results['gt_seg_map'][30:40, :] = 255
    out = RandomShear(1., (0.37, 0.37), direction='both')(results)
    assert set(np.unique(out['gt_seg_map'])) == {0, 1, 255}


def test_mask_padding_is_background():
    h, w = 32, 32
    results = dict(
        img=np.full((h, w), 200, np.uint8),
        gt_seg_map=np.ones((h, w), np.uint8),
        seg_fields=['gt_seg_map'])
    out = RandomShear(1., (0.4, 0.4), img_pad_val=7)(results)
    mask, img = out['gt_seg_map'], out['img']
    assert img.shape == (h, w)
    assert mask[-1, 0] == 0 and img[-1, 0] == 7  # uncovered corner
    assert set(np.unique(mask)) == {0, 1}  # 0 pad, never 255 (ignore)
    results = dict(
        img=np.zeros((h, w), np.uint8),
        gt_seg_map=np.ones((h, w), np.uint8),
        seg_fields=['gt_seg_map'])
    out = RandomShear(1., (0.4, 0.4), seg_pad_val=255)(results)
    assert out['gt_seg_map'][-1, 0] == 255


def test_single_channel_and_float_images():
    results = _make_results(channels=1)
    out = RandomShear(1., (0.2, 0.2))(results)
    assert out['img'].shape == (48, 48, 1)
    results = _make_results()
    results['img'] = results['img'].astype(np.float32)
    out = RandomShear(1., (0.2, 0.2), img_pad_val=(1., 2., 3.))(results)
    assert out['img'].dtype == np.float32
    np.testing.assert_allclose(out['img'][-1, 0], [1., 2., 3.])


def test_prob_zero_is_identity():
    results = _make_results()
    expected = copy.deepcopy(results)
    out = RandomShear(prob=0., shear_range=(0.3, 0.3))(results)
    np.testing.assert_array_equal(out['img'], expected['img'])
    np.testing.assert_array_equal(out['gt_seg_map'], expected['gt_seg_map'])


def test_deterministic_under_seed():
    t = RandomShear(prob=1., shear_range=(-0.3, 0.3), direction='both')

    def run(seed):
        np.random.seed(seed)
        return t(_make_results())['gt_seg_map']

    np.testing.assert_array_equal(run(1), run(1))
    assert any(not np.array_equal(run(1), run(s)) for s in range(2, 6))


def test_rate_range_reading():
    t = RandomShear(prob=1., rate_range=(0.6, 1.3))
    assert t.shear_range == pytest.approx((-0.4, 0.3))
    # rate 1 is the identity
    results = _make_results()
    expected = copy.deepcopy(results)
    out = RandomShear(prob=1., rate_range=(1., 1.))(results)
    np.testing.assert_array_equal(out['img'], expected['img'])
    np.testing.assert_array_equal(out['gt_seg_map'], expected['gt_seg_map'])
    # rate 1.3 == magnitude 0.3
    a = RandomShear(1., rate_range=(1.3, 1.3))(_make_results())
    b = RandomShear(1., shear_range=(0.3, 0.3))(_make_results())
    np.testing.assert_array_equal(a['gt_seg_map'], b['gt_seg_map'])


def test_repr():
    assert repr(RandomShear(0.4, (-0.1, 0.2), 'both')) == (
        "RandomShear(prob=0.4, shear_range=(-0.1, 0.2), direction='both', "
        "img_pad_val=0, seg_pad_val=0, interpolation='bilinear', "
        'rate_range=None)')


@pytest.mark.parametrize('kwargs, match', [
    (dict(prob=2.), 'prob'),
    (dict(shear_range=(0.3, -0.3)), 'shear_range'),
    (dict(shear_range=(-2., 0.)), 'shear_range'),
    (dict(shear_range=0.2), 'shear_range'),
    (dict(rate_range=(1.3, 0.6)), 'rate_range'),
    (dict(rate_range=(0.6, 3.)), 'rate_range'),
    (dict(rate_range=(0.6, 1.3), shear_range=(-0.1, 0.1)), 'rate_range'),
    (dict(direction='diagonal'), 'direction'),
    (dict(interpolation='cubic'), 'interpolation'),
    (dict(img_pad_val='black'), 'img_pad_val'),
    (dict(seg_pad_val=0.5), 'seg_pad_val'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomShear(**kwargs)


def test_pad_val_channel_mismatch_raises():
    t = RandomShear(1., img_pad_val=(0, 0))
    with pytest.raises(ValueError, match='img_pad_val'):
        t(_make_results())
