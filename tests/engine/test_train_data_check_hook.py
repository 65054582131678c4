"""TrainDataCheckHook: all-empty training masks stop the run, some empty
masks are counted."""
import glob
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.dataset import ConcatDataset

import bus_mm.engine.hooks.train_data_check_hook as check_module
from bus_mm.datasets import BUSIDataset, SampleSeededDataset
from bus_mm.engine.hooks.train_data_check_hook import (DegenerateDataError,
                                                       TrainDataCheckHook)


def _runner(dataset):
    loader = SimpleNamespace(dataset=dataset)
    return SimpleNamespace(train_loop=SimpleNamespace(dataloader=loader))


def _blank(paths):
    for p in paths:
        m = cv2.imread(p, cv2.IMREAD_UNCHANGED)
        cv2.imwrite(p, np.zeros_like(m))


@pytest.fixture
def phantoms(tmp_path):
    from bus_mm.datasets.phantom import make_phantom_dataset
    root = str(tmp_path / 'data')
    make_phantom_dataset(root, num_benign=8, num_malignant=4, num_normal=3,
                         size=(48, 48), seed=0)
    return root


@pytest.fixture
def logged(monkeypatch):
    messages = []
    monkeypatch.setattr(check_module, 'print_log',
                        lambda msg, **kw: messages.append(msg))
    return messages


def _ds(root, part='train', labeled=None, **kw):
    split = dict(type='ratio', val=1, test=1, labeled=labeled, seed=0)
    return BUSIDataset(data_root=root, split=split, split_part=part,
                       pipeline=[], **kw)


def test_all_empty_training_masks_stop_with_a_message(phantoms):
    _blank(glob.glob(osp.join(phantoms, '*', '*_mask*.png')))
    ds = SampleSeededDataset(_ds(phantoms))  # as tools/train.py wraps it
    with pytest.raises(DegenerateDataError) as e:
        TrainDataCheckHook().before_train(_runner(ds))
    msg = str(e.value)
    assert f'every one of the {len(ds)} labeled training masks is empty' in msg
    assert "'train' part" in msg and phantoms in msg


def test_labeled_part_without_lesion_stops_assgan(phantoms):
    lab, unl = (_ds(phantoms, part, labeled=3)
                for part in ('labeled', 'unlabeled'))
    _blank([p for i in range(len(lab))
            for p in lab.get_data_info(i)['mask_paths']])
    with pytest.raises(DegenerateDataError, match="'labeled' part"):
        TrainDataCheckHook().before_train(_runner(ConcatDataset([lab, unl])))


def test_some_empty_masks_are_counted(phantoms, logged):
    ds = _ds(phantoms, include_normal=True)  # normal images: empty masks
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    normal = [i['sample_id'] for i in infos if i['category'] == 'normal']
    assert normal
    TrainDataCheckHook().before_train(_runner(ds))
    out = '\n'.join(logged)
    assert f'{len(normal)} of {len(ds)} labeled training masks have no ' \
           'lesion pixel' in out
    assert normal[0] in out


def test_clean_data_passes(phantoms, logged):
    ds = _ds(phantoms)
    TrainDataCheckHook().before_train(_runner(ds))
    assert f'all {len(ds)} labeled training masks contain lesion' in \
        logged[0]
