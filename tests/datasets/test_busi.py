import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmseg.registry import DATASETS

from bus_mm.datasets import BUSIDataset

PIPE = [dict(type='LoadBUSImageFromFile'), dict(type='LoadBUSAnnotations'),
        dict(type='PackBUSInputs')]


def test_layout_union_and_names(busi_tree):
    ds = BUSIDataset(data_root=busi_tree, pipeline=PIPE)
    ids = [ds.get_data_info(i)['sample_id'] for i in range(len(ds))]
    assert len(ds) == 5  # normal excluded by default
    assert 'benign/benign (1)' in ids and not any('normal' in i for i in ids)
    info = ds.get_data_info(ids.index('benign/benign (1)'))
    assert [osp.basename(p) for p in info['mask_paths']] == [
        'benign (1)_mask.png', 'benign (1)_mask_1.png', 'benign (1)_mask_2.png']
    gt = ds[ids.index('benign/benign (1)')]['data_samples'].gt_sem_seg.data[0]
    # union of three boxes: 10*10 + 10*10 + 5*10
    assert int(gt.sum()) == 250 and set(gt.unique().tolist()) == {0, 1}
    rgba = ds[ids.index('benign/benign (2)')]['data_samples'].gt_sem_seg.data
    assert int(rgba.sum()) == 100


def test_include_normal_gives_empty_masks(busi_tree):
    ds = DATASETS.build(dict(type='BUSIDataset', data_root=busi_tree,
                             include_normal=True, pipeline=PIPE))
    assert len(ds) == 7
    for i in range(len(ds)):
        if ds.get_data_info(i)['category'] == 'normal':
            assert int(ds[i]['data_samples'].gt_sem_seg.data.sum()) == 0


def test_wrong_root_names_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        BUSIDataset(data_root=str(tmp_path / 'nope'))
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='benign'):
        BUSIDataset(data_root=str(tmp_path / 'empty'))


def test_image_without_mask(busi_tree):
    os.remove(osp.join(busi_tree, 'malignant', 'malignant (1)_mask.png'))
    with pytest.raises(FileNotFoundError, match=r"malignant \(1\)_mask.png"):
        BUSIDataset(data_root=busi_tree)


def test_mask_size_mismatch_names_both(busi_tree):
    cv2.imwrite(osp.join(busi_tree, 'benign', 'benign (3)_mask.png'),
                np.zeros((10, 10), np.uint8))
    ds = BUSIDataset(data_root=busi_tree, pipeline=PIPE, serialize_data=False)
    idx = [ds.get_data_info(i)['sample_id']
           for i in range(len(ds))].index('benign/benign (3)')
    with pytest.raises(ValueError, match=r'benign \(3\)_mask.png.*benign \(3\).png'):
        ds.prepare_data(idx)


def test_corrupt_image_named(busi_tree):
    path = osp.join(busi_tree, 'benign', 'benign (2).png')
    with open(path, 'r+b') as f:
        f.truncate(30)
    ds = BUSIDataset(data_root=busi_tree, pipeline=PIPE)
    idx = [ds.get_data_info(i)['img_path'] for i in range(len(ds))].index(path)
    with pytest.raises(OSError, match=r'benign \(2\).png.*corrupt'):
        ds.prepare_data(idx)


def test_split_parts_and_unlabeled_have_no_gt(busi_tree):
    split = dict(type='ratio', val=1, test=1, labeled=2, seed=0)
    parts = {p: BUSIDataset(data_root=busi_tree, include_normal=True,
                            split=split, split_part=p, pipeline=PIPE)
             for p in ('train', 'val', 'test', 'labeled', 'unlabeled')}
    ids = {p: {d.get_data_info(i)['sample_id'] for i in range(len(d))}
           for p, d in parts.items()}
    assert len(ids['val']) == 1 and len(ids['test']) == 1
    assert len(ids['train']) == 5 and len(ids['labeled']) == 2
    assert ids['labeled'] | ids['unlabeled'] == ids['train']
    assert not ids['labeled'] & ids['unlabeled']
    assert not (ids['train'] & ids['val']) and not (ids['train'] & ids['test'])
    unl = parts['unlabeled']
    sample = unl[0]['data_samples']
    assert sample.metainfo['labeled'] is False and 'gt_sem_seg' not in sample
    # In the mixed train part only the labeled subset carries ground truth.
    train = parts['train']
    flags = [train.get_data_info(i)['labeled'] for i in range(len(train))]
    assert sum(flags) == 2


def test_real_busi_dev_loads(busi_dev):
    ds = BUSIDataset(data_root=busi_dev, include_normal=True, pipeline=PIPE)
    cats = [ds.get_data_info(i)['category'] for i in range(len(ds))]
    assert len(ds) == 202 and cats.count('normal') == 30
    multi = [i for i in range(len(ds))
             if len(ds.get_data_info(i)['mask_paths']) > 1]
    assert multi
    sample = ds[multi[0]]['data_samples']
    assert set(sample.gt_sem_seg.data.unique().tolist()) == {0, 1}
