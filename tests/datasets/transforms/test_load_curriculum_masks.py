"""Tests of LoadCurriculumMasks (TaiChiNet's easy/hard lesion parts)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from bus_mm.datasets.transforms.load_curriculum_masks import \
    LoadCurriculumMasks
from mmseg.registry import TRANSFORMS

SAMPLE_ID = 'benign/benign (1)'


def write_png(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, array)


@pytest.fixture
def curriculum(tmp_path):
    """8x10 masks: easy (0/255) in the left half, hard (0/1) on the right."""
    easy = np.zeros((8, 10), np.uint8)
    easy[2:6, 1:4] = 255
    hard = np.zeros((8, 10), np.uint8)
    hard[2:6, 6:9] = 1
    write_png(str(tmp_path / 'easy' / f'{SAMPLE_ID}.png'), easy)
    write_png(str(tmp_path / 'hard' / f'{SAMPLE_ID}.png'), hard)
    return str(tmp_path), easy > 0, hard > 0


def results(shape=(8, 10)):
    gt = np.zeros(shape, np.uint8)
    return dict(
        sample_id=SAMPLE_ID,
        img_path='/data/benign/benign (1).png',
        seg_map_path='/data/benign/benign (1)_mask.png',
        gt_seg_map=gt,
        seg_fields=['gt_seg_map'])


def test_loads_binarised_parts(curriculum):
    root, easy, hard = curriculum
    t = TRANSFORMS.build(dict(type='LoadCurriculumMasks', curriculum_dir=root))
    out = t(results())
    assert out['gt_easy_part'].dtype == np.uint8
    np.testing.assert_array_equal(out['gt_easy_part'], easy)  # 0/255 -> 0/1
    np.testing.assert_array_equal(out['gt_hard_part'], hard)  # 0/1 stays
    assert out['seg_fields'] == ['gt_seg_map', 'gt_easy_part', 'gt_hard_part']
    assert 'curriculum_dir' in repr(t)


def test_parts_follow_geometric_transforms(curriculum):
    root, easy, hard = curriculum
    res = results()
    res['gt_seg_map'] = (easy | hard).astype(np.uint8)
    res['img'] = np.zeros((8, 10, 3), np.uint8)
    res['img_shape'] = (8, 10)
    res = LoadCurriculumMasks(root)(res)
    with DefaultScope.overwrite_default_scope('mmseg'):
        flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))
        resize = TRANSFORMS.build(
            dict(type='Resize', scale=(20, 16), keep_ratio=False))
    res = resize(flip(res))
    assert res['gt_easy_part'].shape == res['gt_seg_map'].shape == (16, 20)
    np.testing.assert_array_equal(res['gt_easy_part'] | res['gt_hard_part'],
                                  res['gt_seg_map'])
    # the easy part was on the left; a horizontal flip moves it right
    assert res['gt_easy_part'][:, 10:].sum() > 0
    assert res['gt_easy_part'][:, :10].sum() == 0


def test_missing_file_message(tmp_path):
    t = LoadCurriculumMasks(str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        t(results())
    msg = str(err.value)
    assert osp.join(str(tmp_path), 'easy', f'{SAMPLE_ID}.png') in msg
    fix = 'run tools/misc/prepare_curriculum.py <unetpp-config> --checkpoint'
    assert fix in msg
    assert 'use_curriculum=False' in msg


def test_allow_missing_gives_ignored_parts(tmp_path):
    out = LoadCurriculumMasks(str(tmp_path), allow_missing=True)(results())
    assert (out['gt_easy_part'] == 255).all()
    assert out['gt_hard_part'].shape == (8, 10)


def test_size_mismatch_names_both_files(curriculum):
    root, _, _ = curriculum
    with pytest.raises(ValueError) as err:
        LoadCurriculumMasks(root)(results(shape=(9, 10)))
    msg = str(err.value)
    assert f'{SAMPLE_ID}.png' in msg and '(1)_mask.png' in msg


def test_needs_sample_id_and_gt(curriculum):
    root, _, _ = curriculum
    t = LoadCurriculumMasks(root)
    res = results()
    del res['sample_id']
    with pytest.raises(KeyError, match='sample_id'):
        t(res)
    res = results()
    del res['gt_seg_map']
    with pytest.raises(KeyError, match='LoadAnnotations'):
        t(res)
    with pytest.raises(ValueError, match='curriculum_dir'):
        LoadCurriculumMasks('')
