import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from bus_mm.datasets.phantom import generate_phantom, make_phantom_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIZE = (64, 64)


def _gen(seed, category='benign', difficulty=0.5, **kwargs):
    return generate_phantom(
        np.random.default_rng([seed, 7]), SIZE, difficulty, category,
        **kwargs)


def _read(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def _ring(mask, width=4):
    k = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    return cv2.dilate(mask, k).astype(bool) & ~mask.astype(bool)


def _gap(image, masks, distractor):
    """Mean grey of the tissue ring around the lesions minus the lesion's."""
    grey = image[..., 0].astype(np.float64)
    lesion = np.zeros(grey.shape, np.uint8)
    for m in masks:
        lesion |= m
    ring = _ring(lesion) & (distractor == 0) & (grey > 0)
    return grey[ring].mean() - grey[lesion.astype(bool)].mean()


@pytest.mark.parametrize('category', ['benign', 'malignant', 'normal'])
def test_generate_phantom_outputs(category):
    image, masks, distractor = _gen(0, category)
    assert image.shape == (*SIZE, 3) and image.dtype == np.uint8
    assert (image[..., 0] == image[..., 1]).all()
    assert (image[..., 0] == image[..., 2]).all()
    assert image.std() > 10  # speckle + anatomy, not a flat image
    assert distractor.shape == SIZE and distractor.dtype == np.uint8
    assert set(np.unique(distractor)) <= {0, 1}
    if category == 'normal':
        assert masks == []
    else:
        assert 1 <= len(masks) <= 2
        for m in masks:
            assert m.shape == SIZE and m.dtype == np.uint8
            assert set(np.unique(m)) == {0, 1}
    # non-rectangular size keeps (H, W) order
    image, masks, distractor = generate_phantom(
        np.random.default_rng(1), (48, 80), 0.5, category)
    assert image.shape == (48, 80, 3) and distractor.shape == (48, 80)


def test_generate_phantom_determinism():
    a = _gen(3, 'malignant')
    b = _gen(3, 'malignant')
    c = _gen(4, 'malignant')
    assert np.array_equal(a[0], b[0])
    assert all(np.array_equal(x, y) for x, y in zip(a[1], b[1]))
    assert np.array_equal(a[2], b[2])
    assert not np.array_equal(a[0], c[0])


def test_generate_phantom_bad_args():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='category'):
        generate_phantom(rng, SIZE, 0.5, 'cyst')
    with pytest.raises(ValueError, match='difficulty'):
        generate_phantom(rng, SIZE, 1.5, 'benign')
    with pytest.raises(ValueError, match='size'):
        generate_phantom(rng, (16, 16), 0.5, 'benign')


def test_second_lesion_forced():
    for seed in range(4):
        _, masks, _ = _gen(seed, 'benign', second_lesion_prob=1.0)
        assert len(masks) == 2
        assert not (masks[0] & masks[1]).any()
        _, masks, _ = _gen(seed, 'malignant', second_lesion_prob=0.0)
        assert len(masks) == 1


def test_lesion_is_hypoechoic_and_distractors_disjoint():
    n_distractor_pixels = 0
    for seed in range(6):
        for category in ('benign', 'malignant'):
            image, masks, distractor = _gen(seed, category)
            assert _gap(image, masks, distractor) > 20
            for m in masks:
                assert not (m & distractor).any()
        _, _, distractor = _gen(seed, 'normal')
        n_distractor_pixels += int(distractor.sum())
    # lesion-free images still contain dark distractors
    assert n_distractor_pixels > 0


def test_difficulty_reduces_contrast():
    gaps = {}
    for d in (0.0, 0.5, 1.0):
        gaps[d] = np.mean([
            _gap(*_gen(seed, category, d)) for seed in range(5)
            for category in ('benign', 'malignant')
        ])
    assert gaps[0.0] > gaps[0.5] > gaps[1.0] > 0


def test_dataset_layout(tmp_path):
    out = str(tmp_path / 'phantom')
    meta = make_phantom_dataset(
        out, num_benign=3, num_malignant=2, num_normal=2, size=SIZE, seed=1,
        second_lesion_prob=0.0)
    expected = {'benign', 'malignant', 'normal', 'distractor_masks',
                'phantom_meta.json'}
    assert set(os.listdir(out)) == expected
    for cls, num in (('benign', 3), ('malignant', 2), ('normal', 2)):
        names = {f'{cls} ({n}){s}.png' for n in range(1, num + 1)
                 for s in ('', '_mask')}
        assert set(os.listdir(osp.join(out, cls))) == names
        for n in range(1, num + 1):
            img = _read(osp.join(out, cls, f'{cls} ({n}).png'))
            assert img.shape == (*SIZE, 3)
            mask = _read(osp.join(out, cls, f'{cls} ({n})_mask.png'))
            assert mask.shape == SIZE and mask.dtype == np.uint8
            assert set(np.unique(mask)) <= {0, 255}
            if cls == 'normal':
                assert not mask.any()
            else:
                assert (mask == 255).any()
            dm = _read(osp.join(out, 'distractor_masks', f'{cls} ({n}).png'))
            assert dm.shape == SIZE and set(np.unique(dm)) <= {0, 255}
            assert not (dm.astype(bool) & mask.astype(bool)).any()
    with open(osp.join(out, 'phantom_meta.json')) as f:
        on_disk = json.load(f)
    assert on_disk == meta
    assert meta['args']['seed'] == 1 and meta['args']['size'] == [64, 64]
    assert meta['counts']['total'] == 7 and meta['complete']
    assert meta['version']


def test_dataset_second_lesion_files(tmp_path):
    out = str(tmp_path / 'p')
    meta = make_phantom_dataset(
        out, num_benign=2, num_malignant=1, num_normal=1, size=SIZE,
        second_lesion_prob=1.0)
    assert meta['counts']['second_lesion'] == 3
    for cls, n in (('benign', 1), ('benign', 2), ('malignant', 1)):
        m0 = _read(osp.join(out, cls, f'{cls} ({n})_mask.png'))
        m1 = _read(osp.join(out, cls, f'{cls} ({n})_mask_1.png'))
        assert set(np.unique(m1)) == {0, 255}
        assert not (m0.astype(bool) & m1.astype(bool)).any()
        dm = _read(osp.join(out, 'distractor_masks', f'{cls} ({n}).png'))
        assert not (dm.astype(bool) & (m0 | m1).astype(bool)).any()
    assert not osp.exists(osp.join(out, 'normal', 'normal (1)_mask_1.png'))


def _tree_bytes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = osp.join(dirpath, f)
            with open(p, 'rb') as fh:
                out[osp.relpath(p, root)] = fh.read()
    return out


def test_dataset_deterministic_and_worker_independent(tmp_path):
    kw = dict(num_benign=2, num_malignant=2, num_normal=1, size=SIZE,
              second_lesion_prob=0.5)
    make_phantom_dataset(str(tmp_path / 'a'), seed=5, **kw)
    make_phantom_dataset(str(tmp_path / 'b'), seed=5, workers=2, **kw)
    make_phantom_dataset(str(tmp_path / 'c'), seed=6, **kw)
    a = _tree_bytes(str(tmp_path / 'a'))
    b = _tree_bytes(str(tmp_path / 'b'))
    c = _tree_bytes(str(tmp_path / 'c'))
    assert a == b
    assert a['benign/benign (1).png'] != c['benign/benign (1).png']


def test_dataset_refuses_foreign_dir_and_is_idempotent(tmp_path):
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'notes.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='--overwrite') as err:
        make_phantom_dataset(str(foreign), 1, 1, 1, size=SIZE)
    assert str(foreign) in str(err.value)
    make_phantom_dataset(str(foreign), 1, 1, 1, size=SIZE, overwrite=True)
    assert (foreign / 'notes.txt').read_text() == 'keep me'
    assert (foreign / 'benign' / 'benign (1).png').is_file()

    out = str(tmp_path / 'ph')
    meta = make_phantom_dataset(out, 2, 1, 1, size=SIZE, seed=3)
    meta_file = osp.join(out, 'phantom_meta.json')
    img_file = osp.join(out, 'benign', 'benign (1).png')
    stamps = (os.stat(meta_file).st_mtime_ns, os.stat(img_file).st_mtime_ns)
    assert make_phantom_dataset(out, 2, 1, 1, size=SIZE, seed=3) == meta
    assert (os.stat(meta_file).st_mtime_ns,
            os.stat(img_file).st_mtime_ns) == stamps
    # same dir, different arguments: refused unless overwrite, then replaced
    with pytest.raises(FileExistsError, match='--overwrite'):
        make_phantom_dataset(out, 2, 1, 1, size=SIZE, seed=4)
    meta4 = make_phantom_dataset(out, 1, 1, 1, size=SIZE, seed=4,
                                 overwrite=True)
    assert meta4['args']['seed'] == 4
    assert not osp.exists(osp.join(out, 'benign', 'benign (2).png'))
    # an incomplete set with the same arguments is completed
    os.remove(osp.join(out, 'malignant', 'malignant (1).png'))
    make_phantom_dataset(out, 1, 1, 1, size=SIZE, seed=4)
    assert osp.isfile(osp.join(out, 'malignant', 'malignant (1).png'))


def test_cli(tmp_path):
    out = str(tmp_path / 'cli')
    cmd = [
        sys.executable, osp.join('tools', 'dataset_converters',
                                 'make_phantoms.py'), out,
        '--num-benign', '2', '--num-malignant', '1', '--num-normal', '1',
        '--size', '48', '64', '--seed', '2', '--difficulty', '0.3'
    ]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert 'images/s' in res.stdout
    img = _read(osp.join(out, 'malignant', 'malignant (1).png'))
    assert img.shape == (48, 64, 3)
    with open(osp.join(out, 'phantom_meta.json')) as f:
        args = json.load(f)['args']
    assert args['difficulty'] == 0.3 and args['size'] == [48, 64]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0 and 'already present' in res.stdout
    res = subprocess.run(cmd[:-2] + ['0.4'], cwd=REPO, capture_output=True,
                         text=True)
    assert res.returncode != 0 and '--overwrite' in res.stderr
