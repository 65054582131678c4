"""Miniature BUS trees built in tmp dirs (BUSI with multi-mask and normal
cases, Dataset B, a plain folder) with masks in every encoding seen in practice."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest


def _img(h=40, w=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def _mask(h=40, w=48, box=(5, 5, 15, 15)):
    m = np.zeros((h, w), np.uint8)
    y0, x0, y1, x1 = box
    m[y0:y1, x0:x1] = 1
    return m


def write(path, arr):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, arr), path


@pytest.fixture
def busi_tree(tmp_path):
    """3 benign (one with _mask_1 and _mask_2), 2 malignant, 2 normal."""
    root = str(tmp_path / 'BUSI')
    for cat, n in (('benign', 3), ('malignant', 2), ('normal', 2)):
        for i in range(1, n + 1):
            stem = osp.join(root, cat, f'{cat} ({i})')
            write(stem + '.png', _img(seed=i))
            m = _mask() if cat != 'normal' else _mask(box=(0, 0, 0, 0))
            if cat == 'normal':
                write(stem + '_mask.png', np.dstack([m * 255] * 3))  # RGB
            elif i == 2:
                write(stem + '_mask.png', np.dstack([m * 255] * 4))  # RGBA
            else:
                write(stem + '_mask.png', m * 255)
    stem = osp.join(root, 'benign', 'benign (1)')
    write(stem + '_mask_1.png', _mask(box=(20, 20, 30, 30)) * 255)
    write(stem + '_mask_2.png', _mask(box=(30, 35, 35, 45)))  # 0/1 encoded
    return root


@pytest.fixture
def udiat_tree(tmp_path):
    root = str(tmp_path / 'DatasetB')
    for i in range(1, 6):
        write(osp.join(root, 'original', f'{i:06d}.png'), _img(seed=i))
        write(osp.join(root, 'GT', f'{i:06d}.png'), _mask() * 255)
    return root


@pytest.fixture
def folder_tree(tmp_path):
    root = str(tmp_path / 'private')
    for i in range(6):
        write(osp.join(root, 'images', f'case_{i}.jpg'), _img(seed=i))
        write(osp.join(root, 'masks', f'case_{i}.png'), _mask() * 255)
    return root
