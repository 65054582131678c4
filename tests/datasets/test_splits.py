import json

import pytest

from bus_mm.datasets.splits import (build_split, load_split, make_kfold_split,
                                    make_split, save_split)

IDS = [f'benign/b{i}' for i in range(60)] + [f'malignant/m{i}' for i in range(30)]
CATS = [i.split('/')[0] for i in IDS]


def test_deterministic_and_order_independent():
    a = make_split(IDS, val=0.1, test=0.2, labeled=0.15, seed=3, strata=CATS)
    b = make_split(IDS[::-1], val=0.1, test=0.2, labeled=0.15, seed=3,
                   strata=CATS[::-1])
    assert a == b
    c = make_split(IDS, val=0.1, test=0.2, labeled=0.15, seed=4, strata=CATS)
    assert c['test'] != a['test']


def test_parts_disjoint_and_covering():
    s = make_split(IDS, val=9, test=18, labeled=10, seed=0, strata=CATS)
    assert (len(s['val']), len(s['test']), len(s['train'])) == (9, 18, 63)
    assert set(s['val']) | set(s['test']) | set(s['train']) == set(IDS)
    assert not set(s['val']) & set(s['test'])
    assert sorted(s['labeled'] + s['unlabeled']) == s['train']
    assert len(s['labeled']) == 10


def test_stratified_test_set():
    s = make_split(IDS, val=0, test=30, seed=1, strata=CATS)
    assert sum(i.startswith('benign') for i in s['test']) == 20


def test_assgan_table1_sdbui_expressible():
    ids = [f'{i:04d}' for i in range(1805)]
    s = make_split(ids, val=150, test=350, labeled=195, seed=0)
    counts = {k: len(s[k]) for k in ('labeled', 'unlabeled', 'val', 'test')}
    assert counts == dict(labeled=195, unlabeled=1110, val=150, test=350)


def test_too_many_labeled_and_bad_values():
    with pytest.raises(ValueError, match='asks for 80 labeled.*only 63'):
        make_split(IDS, val=9, test=18, labeled=80)
    with pytest.raises(ValueError, match='no labeled image'):
        make_split(IDS, val=9, test=18, labeled=0.001)
    with pytest.raises(ValueError, match='ratio'):
        make_split(IDS, val=1.5)
    with pytest.raises(ValueError, match='leave no training'):
        make_split(IDS, val=45, test=45)


def test_kfold_disjoint_covering_stratified():
    tests = []
    for f in range(5):
        s = make_kfold_split(IDS, num_folds=5, fold=f, seed=0, strata=CATS,
                             labeled=0.25)
        assert not set(s['test']) & set(s['train'])
        assert sum(i.startswith('malignant') for i in s['test']) == 6
        assert len(s['labeled']) == round(0.25 * len(s['train']))
        tests += s['test']
    assert sorted(tests) == sorted(IDS)
    with pytest.raises(ValueError, match='>= 2'):
        make_kfold_split(IDS, num_folds=1)
    with pytest.raises(ValueError, match='cannot make 5 folds from 3'):
        make_kfold_split(IDS[:3], num_folds=5)


def test_save_load_roundtrip_and_no_clobber(tmp_path):
    s = build_split(dict(type='ratio', val=0.1, test=0.2, seed=0), IDS, CATS)
    path = str(tmp_path / 'w' / 'split.json')
    save_split(s, path)
    assert load_split(path) == json.loads(json.dumps(s))
    save_split(s, path)  # identical: fine
    other = build_split(dict(type='ratio', val=0.1, test=0.2, seed=1), IDS, CATS)
    with pytest.raises(FileExistsError, match='different split'):
        save_split(other, path)
    assert build_split(path, IDS) == load_split(path)
    with pytest.raises(ValueError, match='does not have'):
        build_split(path, IDS[:10])
