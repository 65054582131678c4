# Copyright (c) bus_mm contributors. All rights reserved.
import copy

import mmcv
import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from bus_mm.datasets.transforms.random_gamma import RandomGamma  # noqa: F401
from bus_mm.datasets.transforms.random_rot90 import RandomRot90
from bus_mm.datasets.transforms.random_shear import RandomShear  # noqa: F401
from mmseg.registry import TRANSFORMS


def _make_results(h=24, w=40, seed=0):
    """Random dark background with a bright blob exactly where mask=1."""
    rng = np.random.RandomState(seed)
    mask = np.zeros((h, w), np.uint8)
    mask[3:10, 5:22] = 1
    mask[10:15, 5:9] = 1  # asymmetric L shape: every rotation differs
    img = rng.randint(0, 100, (h, w, 3)).astype(np.uint8)
    img[mask == 1] = rng.randint(200, 256, (int(mask.sum()), 3))
    return dict(
        img=img, gt_seg_map=mask, seg_fields=['gt_seg_map'],
        img_shape=(h, w), ori_shape=(h, w))


def _bright(img):
    return (img.min(-1) >= 200).astype(np.uint8)


def test_registered():
    assert TRANSFORMS.get('RandomRot90') is RandomRot90
    assert isinstance(
        TRANSFORMS.build(dict(type='RandomRot90', prob=1.)), RandomRot90)


@pytest.mark.parametrize('angle', [90, 180, 270, -90, 360])
def test_exact_alignment_and_shape(angle):
    results = _make_results()
    mask0 = results['gt_seg_map'].copy()
    out = RandomRot90(prob=1., angles=(angle, ))(results)
    mask, img = out['gt_seg_map'], out['img']
    swapped = angle % 180 != 0
    assert mask.shape == ((40, 24) if swapped else (24, 40))
    assert img.shape == mask.shape + (3, )
    assert tuple(out['img_shape']) == mask.shape
    assert out['ori_shape'] == (24, 40)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    assert mask.sum() == mask0.sum()
    np.testing.assert_array_equal(_bright(img), mask)  # exact alignment
    assert img.flags['C_CONTIGUOUS'] and mask.flags['C_CONTIGUOUS']
    np.testing.assert_array_equal(mask, np.rot90(mask0, -(angle // 90)))


def test_clockwise_like_mmcv_imrotate():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (16, 16, 3)).astype(np.uint8)
    for angle in (90, 180, 270):
        out = RandomRot90(1., (angle, ))(dict(img=img.copy()))['img']
        np.testing.assert_array_equal(
            out, mmcv.imrotate(img, angle, interpolation='nearest'))
    # clockwise: the top-left corner goes to the top-right corner
    out = RandomRot90(1., (90, ))(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out[0, -1], img[0, 0])


def test_all_seg_fields_rotated_together():
    results = _make_results()
    mask0 = results['gt_seg_map'].copy()
    results['gt_edge_map'] = mask0.copy()
    results['gt_easy_part'] = mask0.astype(np.int64)
    results['gt_hard_part'] = (1 - mask0).astype(np.int64)
    results['other'] = mask0.copy()
    results['seg_fields'] = [
        'gt_seg_map', 'gt_edge_map', 'gt_easy_part', 'gt_hard_part'
    ]
    out = RandomRot90(1., (270, ))(results)
    for key in ('gt_edge_map', 'gt_easy_part'):
        np.testing.assert_array_equal(out[key], out['gt_seg_map'])
    assert out['gt_easy_part'].dtype == np.int64
    np.testing.assert_array_equal(out['gt_hard_part'],
                                  1 - out['gt_seg_map'])
    np.testing.assert_array_equal(out['other'], mask0)  # not a seg field


def test_prob_zero_is_identity():
    results = _make_results()
    expected = copy.deepcopy(results)
    out = RandomRot90(prob=0.)(results)
    for key in ('img', 'gt_seg_map'):
        np.testing.assert_array_equal(out[key], expected[key])
    assert out['img_shape'] == expected['img_shape']


def test_random_angles_deterministic_under_seed():
    t = RandomRot90(prob=1.)

    def run(seed):
        np.random.seed(seed)
        return t(_make_results())['gt_seg_map']

    np.testing.assert_array_equal(run(4), run(4))
    mask0 = _make_results()['gt_seg_map']
    seen = set()
    for seed in range(30):
        m = run(seed)
        k = [k for k in range(1, 4)
             if np.array_equal(m, np.rot90(mask0, -k))]
        assert len(k) == 1  # always one of 90/180/270, never identity
        seen.add(k[0])
    assert seen == {1, 2, 3}


def test_repr():
    assert repr(RandomRot90(0.25, (90, 270))) == \
        'RandomRot90(prob=0.25, angles=(90, 270))'


@pytest.mark.parametrize('kwargs, match', [
    (dict(angles=(90, 45)), 'angles'),
    (dict(angles=()), 'angles'),
    (dict(angles='90'), 'angles'),
    (dict(prob=1.1), 'prob'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomRot90(**kwargs)


_PIPELINE = [
    dict(type='RandomRot90', prob=1.),
    dict(type='RandomShear', prob=1.),
    dict(type='RandomGamma', prob=1.),
    dict(type='RandomRotate', prob=1., degree=10, seg_pad_val=0),
]


def _check_pipeline_output(out):
    mask = out['gt_seg_map']
    assert out['img'].shape[:2] == mask.shape == tuple(out['img_shape'])
    assert out['img'].dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 1} and mask.sum() > 0


def test_full_pipeline_built_from_mmseg_registry():
    pipeline = Compose([TRANSFORMS.build(cfg) for cfg in _PIPELINE])
    np.random.seed(0)
    _check_pipeline_output(pipeline(_make_results()))


def test_full_pipeline_config_dicts_with_mmseg_scope():
    init_default_scope('mmseg')
    pipeline = Compose(copy.deepcopy(_PIPELINE))
    assert [type(t).__name__ for t in pipeline.transforms] == [
        'RandomRot90', 'RandomShear', 'RandomGamma', 'RandomRotate'
    ]
    np.random.seed(1)
    _check_pipeline_output(pipeline(_make_results()))
