import os
import os.path as osp

import pytest

from bus_mm.datasets import BUSFolderDataset, UDIATDataset

PIPE = [dict(type='LoadBUSImageFromFile'), dict(type='LoadBUSAnnotations'),
        dict(type='PackBUSInputs')]


def test_udiat_layout(udiat_tree):
    ds = UDIATDataset(data_root=udiat_tree, pipeline=PIPE)
    assert len(ds) == 5
    assert ds.get_data_info(0)['sample_id'] == '000001'
    assert int(ds[0]['data_samples'].gt_sem_seg.data.sum()) == 100


def test_udiat_missing_gt_folder(udiat_tree):
    os.rename(osp.join(udiat_tree, 'GT'), osp.join(udiat_tree, 'gt_old'))
    with pytest.raises(FileNotFoundError, match='GT.*Expected layout'):
        UDIATDataset(data_root=udiat_tree)


def test_folder_layout_matches_by_stem(folder_tree):
    ds = BUSFolderDataset(data_root=folder_tree, pipeline=PIPE)
    assert len(ds) == 6
    assert ds.get_data_info(0)['img_path'].endswith('case_0.jpg')
    assert ds.get_data_info(0)['mask_paths'][0].endswith('case_0.png')
    assert int(ds[0]['data_samples'].gt_sem_seg.data.sum()) == 100


def test_folder_missing_mask_and_unlabeled_only(folder_tree):
    os.remove(osp.join(folder_tree, 'masks', 'case_3.png'))
    with pytest.raises(FileNotFoundError, match='case_3.jpg.*allow_missing'):
        BUSFolderDataset(data_root=folder_tree)
    split = dict(type='ratio', val=1, test=1, labeled=2, seed=0)
    unl = BUSFolderDataset(data_root=folder_tree, allow_missing_masks=True,
                           split=split, split_part='unlabeled', pipeline=PIPE)
    ids = [unl.get_data_info(i)['sample_id'] for i in range(len(unl))]
    assert 'case_3' in ids  # maskless images are only ever unlabeled
    for part in ('labeled', 'val', 'test'):
        d = BUSFolderDataset(data_root=folder_tree, allow_missing_masks=True,
                             split=split, split_part=part)
        assert 'case_3' not in [d.get_data_info(i)['sample_id']
                                for i in range(len(d))]


def test_folder_empty(tmp_path):
    os.makedirs(tmp_path / 'x' / 'images')
    os.makedirs(tmp_path / 'x' / 'masks')
    with pytest.raises(FileNotFoundError, match='no images found'):
        BUSFolderDataset(data_root=str(tmp_path / 'x'))


def test_audit_masks_for_unlabeled_part(tmp_path):
    """audit_masks loads the unlabeled images' masks as ``gt_audit_seg``
    (never ``gt_sem_seg``); an unlabeled image without a mask is an error
    naming it; other split parts refuse the option."""
    import cv2
    import numpy as np
    import pytest
    from bus_mm.datasets import BUSFolderDataset
    (tmp_path / 'images').mkdir()
    (tmp_path / 'masks').mkdir()
    for i in range(6):
        img = np.full((16, 16, 3), 40 * i, np.uint8)
        cv2.imwrite(str(tmp_path / 'images' / f'{i}.png'), img)
        mask = np.zeros((16, 16), np.uint8)
        mask[4:8, 4:8] = 255
        cv2.imwrite(str(tmp_path / 'masks' / f'{i}.png'), mask)
    split = dict(type='ratio', val=1, test=1, labeled=2, seed=0)
    pipeline = [dict(type='LoadBUSImageFromFile'),
                dict(type='LoadBUSAnnotations'),
                dict(type='PackBUSInputs')]
    ds = BUSFolderDataset(data_root=str(tmp_path), split=split,
                          split_part='unlabeled', audit_masks=True,
                          pipeline=pipeline)
    sample = ds[0]['data_samples']
    assert not sample.metainfo['labeled'] and 'gt_sem_seg' not in sample
    assert sample.gt_audit_seg.data.sum() == 16
    plain = BUSFolderDataset(data_root=str(tmp_path), split=split,
                             split_part='unlabeled', pipeline=pipeline)
    assert 'gt_audit_seg' not in plain[0]['data_samples']
    with pytest.raises(ValueError, match="split_part='unlabeled'"):
        BUSFolderDataset(data_root=str(tmp_path), split=split,
                         split_part='labeled', audit_masks=True)
    cv2.imwrite(str(tmp_path / 'images' / 'extra.png'),
                np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match='extra.png'):
        BUSFolderDataset(data_root=str(tmp_path), split=split,
                         split_part='unlabeled', audit_masks=True,
                         allow_missing_masks=True)
