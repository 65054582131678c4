import csv

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import bus_mm  # noqa: F401
from bus_mm.evaluation.bus_metric import (BUSMetric, confusion_counts,
                                          normal_image_figures,
                                          ratios_from_counts, summarize)
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

NAMES = ('IoU', 'Dice', 'Acc', 'Precision', 'Sensitivity', 'Specificity')

# yapf: disable
# Image A: a 2x2 lesion; prediction hits 3 of its pixels and adds 1 outside.
GT_A = [[0, 0, 0, 0],
        [0, 1, 1, 0],
        [0, 1, 1, 0],
        [0, 0, 0, 0]]
PRED_A = [[0, 0, 0, 0],
          [0, 1, 1, 1],
          [0, 1, 0, 0],
          [0, 0, 0, 0]]
COUNTS_A = (3, 1, 1, 11)
RATIOS_A = dict(IoU=3 / 5, Dice=6 / 8, Acc=14 / 16, Precision=3 / 4,
                Sensitivity=3 / 4, Specificity=11 / 12)

# Image B: normal image (empty gt) with 2 false-positive pixels.
GT_B = [[0] * 4 for _ in range(4)]
PRED_B = [[0, 0, 0, 0],
          [0, 0, 1, 1],
          [0, 0, 0, 0],
          [0, 0, 0, 0]]
COUNTS_B = (0, 2, 0, 14)
RATIOS_B = dict(IoU=0.0, Dice=0.0, Acc=14 / 16, Precision=0.0,
                Sensitivity=0.0, Specificity=14 / 16)

# Image C: first row is padding (255); the prediction there must not count.
GT_C = [[255, 255, 255, 255],
        [0, 0, 0, 0],
        [1, 1, 1, 1],
        [0, 0, 0, 0]]
PRED_C = [[1, 1, 1, 1],
          [0, 0, 0, 0],
          [1, 1, 0, 0],
          [0, 0, 0, 0]]
COUNTS_C = (2, 0, 2, 8)
RATIOS_C = dict(IoU=2 / 4, Dice=4 / 6, Acc=10 / 12, Precision=2 / 2,
                Sensitivity=2 / 4, Specificity=8 / 8)
# yapf: enable

IMAGES = [('a.png', GT_A, PRED_A), ('b.png', GT_B, PRED_B),
          ('c.png', GT_C, PRED_C)]

# Per-image means over A, B, C, worked by hand.
EXPECTED_MEAN = dict(
    IoU=(3 / 5 + 0 + 2 / 4) / 3,
    Dice=(6 / 8 + 0 + 4 / 6) / 3,
    Acc=(14 / 16 + 14 / 16 + 10 / 12) / 3,
    Precision=(3 / 4 + 0 + 1) / 3,
    Sensitivity=(3 / 4 + 0 + 2 / 4) / 3,
    Specificity=(11 / 12 + 14 / 16 + 1) / 3)
# Pixel aggregate: tp=5, fp=3, fn=3, tn=33 over 44 valid pixels.
EXPECTED_PIXEL = dict(
    pixel_IoU=5 / 11,
    pixel_Dice=10 / 16,
    pixel_Acc=38 / 44,
    pixel_Precision=5 / 8,
    pixel_Sensitivity=5 / 8,
    pixel_Specificity=33 / 36)
# Normal images: only B (empty gt, 2 false-positive pixels of 16); the
# lesion-only means average A and C.
EXPECTED_NORMAL = dict(
    normal_num_images=1, normal_num_clean=0, normal_clean=0.0,
    normal_fp_pixels=2.0, normal_fp_fraction=2 / 16,
    lesion_IoU=(3 / 5 + 2 / 4) / 2, lesion_Dice=(6 / 8 + 4 / 6) / 2,
    lesion_Acc=(14 / 16 + 10 / 12) / 2, lesion_Precision=(3 / 4 + 1) / 2,
    lesion_Sensitivity=(3 / 4 + 2 / 4) / 2,
    lesion_Specificity=(11 / 12 + 1) / 2)


def make_sample(img_path, gt, pred, labeled=None):
    sample = SegDataSample()
    sample.set_metainfo(dict(img_path=f'/some/dir/{img_path}'))
    if labeled is not None:
        sample.set_metainfo(dict(labeled=labeled))
    if gt is not None:
        sample.gt_sem_seg = PixelData(
            data=torch.tensor(gt, dtype=torch.long)[None])
    sample.pred_sem_seg = PixelData(
        data=torch.tensor(pred, dtype=torch.long)[None])
    return sample


def samples_abc():
    return [make_sample(*img).to_dict() for img in IMAGES]


@pytest.mark.parametrize('gt,pred,counts', [(GT_A, PRED_A, COUNTS_A),
                                            (GT_B, PRED_B, COUNTS_B),
                                            (GT_C, PRED_C, COUNTS_C)])
def test_confusion_counts_numpy_and_torch(gt, pred, counts):
    assert confusion_counts(np.array(pred), np.array(gt)) == counts
    # (1, H, W) torch label maps, as in pred_sem_seg / gt_sem_seg.
    assert confusion_counts(
        torch.tensor(pred)[None],
        torch.tensor(gt, dtype=torch.uint8)[None]) == counts
    # Mixed numpy / torch input.
    assert confusion_counts(np.array(pred), torch.tensor(gt)) == counts


def test_ignore_pixels_excluded():
    tp, fp, fn, tn = confusion_counts(np.array(PRED_C), np.array(GT_C))
    assert tp + fp + fn + tn == 12  # 16 pixels minus the padded row
    assert fp == 0  # the lesion predicted on the padded row is not counted
    # With ignore_index=None the padded row becomes background with 4 FPs.
    assert confusion_counts(
        np.array(PRED_C), np.array(GT_C), ignore_index=None) == (2, 4, 2, 8)


def test_confusion_counts_shape_mismatch():
    with pytest.raises(ValueError, match='differs from ground-truth shape'):
        confusion_counts(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match='label map'):
        confusion_counts(np.zeros((2, 4, 4)), np.zeros((4, 4)))


@pytest.mark.parametrize('counts,expected', [(COUNTS_A, RATIOS_A),
                                             (COUNTS_B, RATIOS_B),
                                             (COUNTS_C, RATIOS_C)])
def test_ratios_from_counts(counts, expected):
    ratios = ratios_from_counts(*counts)
    assert list(ratios) == list(NAMES)
    for name in NAMES:
        assert ratios[name] == pytest.approx(expected[name])


def test_empty_rule_both_empty():
    for counts in [(0, 0, 0, 16), (0, 0, 0, 0)]:
        assert ratios_from_counts(*counts) == {n: 1.0 for n in NAMES}
    gt = np.zeros((4, 4), dtype=np.uint8)
    assert ratios_from_counts(*confusion_counts(gt, gt)) == {
        n: 1.0
        for n in NAMES
    }


def test_empty_rule_gt_empty_pred_not():
    r = ratios_from_counts(0, 3, 0, 13)
    for name in ('IoU', 'Dice', 'Precision', 'Sensitivity'):
        assert r[name] == 0.0
    assert r['Acc'] == pytest.approx(13 / 16)
    assert r['Specificity'] == pytest.approx(13 / 16)


def test_empty_rule_pred_empty_gt_not():
    r = ratios_from_counts(0, 0, 4, 12)
    for name in ('IoU', 'Dice', 'Precision', 'Sensitivity'):
        assert r[name] == 0.0
    assert r['Acc'] == pytest.approx(12 / 16)
    assert r['Specificity'] == 1.0
    # Lesion covers the whole image and nothing is predicted: every
    # denominator-0 ratio is 0.0, not 1.0.
    assert ratios_from_counts(0, 0, 16, 0)['Specificity'] == 0.0


def test_summarize_both_reductions():
    for counts_list in ([COUNTS_A, COUNTS_B, COUNTS_C], [
            dict(zip(('tp', 'fp', 'fn', 'tn'), c))
            for c in (COUNTS_A, COUNTS_B, COUNTS_C)
    ]):
        res = summarize(counts_list)
        assert res['num_images'] == 3
        for key, value in {**EXPECTED_MEAN, **EXPECTED_PIXEL}.items():
            assert res[key] == pytest.approx(value), key
    with pytest.raises(ValueError, match='at least one image'):
        summarize([])


def test_metric_process_and_compute():
    metric = BUSMetric()
    metric.process({}, samples_abc())
    assert metric.results == [
        dict(img_path='a.png', tp=3, fp=1, fn=1, tn=11),
        dict(img_path='b.png', tp=0, fp=2, fn=0, tn=14),
        dict(img_path='c.png', tp=2, fp=0, fn=2, tn=8),
    ]
    res = metric.evaluate(3)
    expected = {**EXPECTED_MEAN, **EXPECTED_PIXEL}
    assert set(res) == set(expected) | {'num_images'} | set(EXPECTED_NORMAL)
    assert res['num_images'] == 3
    for key, value in EXPECTED_NORMAL.items():
        assert res[key] == pytest.approx(value), key
    for key, value in expected.items():
        assert isinstance(res[key], float)
        assert 0.0 <= res[key] <= 1.0
        assert res[key] == pytest.approx(value), key
    # Per-image mean and pixel aggregate really differ on this set.
    assert res['IoU'] != pytest.approx(res['pixel_IoU'])


def test_normal_image_figures():
    assert summarize([COUNTS_A, COUNTS_B, COUNTS_C])['normal_fp_pixels'] \
        == 2.0
    # no normal image: no normal_* or lesion_* key (lesion-only runs keep
    # their keys)
    res = summarize([COUNTS_A, COUNTS_C])
    assert not [k for k in res if k.startswith(('normal_', 'lesion_'))]
    # two normal images, one predicted clean, one with 5 FP pixels of 100;
    # no lesion image: no lesion_* means
    fig = normal_image_figures([(0, 0, 0, 64), (0, 5, 0, 95)])
    assert fig == dict(normal_num_images=2, normal_num_clean=1,
                       normal_clean=0.5, normal_fp_pixels=2.5,
                       normal_fp_fraction=pytest.approx(0.025))
    # a lesion image the model missed entirely is not a normal image
    assert normal_image_figures([(0, 0, 4, 12)]) == {}


def test_unlabeled_samples_skipped():
    metric = BUSMetric()
    samples = [
        make_sample('a.png', GT_A, PRED_A).to_dict(),
        # semi-supervised unlabeled sample: labeled=False, no gt
        make_sample('u1.png', None, PRED_B, labeled=False).to_dict(),
        # no gt at all
        make_sample('u2.png', None, PRED_B).to_dict(),
        # labeled=False wins even if a mask is present
        make_sample('u3.png', GT_B, PRED_B, labeled=False).to_dict(),
        make_sample('c.png', GT_C, PRED_C, labeled=True).to_dict(),
    ]
    metric.process({}, samples)
    assert [r['img_path'] for r in metric.results] == ['a.png', 'c.png']
    res = metric.compute_metrics(metric.results)
    assert res['num_images'] == 2
    assert res['IoU'] == pytest.approx((3 / 5 + 2 / 4) / 2)
    assert res['pixel_IoU'] == pytest.approx(5 / 9)


def test_no_labeled_sample_raises():
    metric = BUSMetric()
    metric.process({}, [make_sample('u.png', None, PRED_A).to_dict()])
    with pytest.raises(ValueError, match='no labeled sample'):
        metric.compute_metrics(metric.results)


def test_missing_prediction_raises():
    sample = make_sample('a.png', GT_A, PRED_A).to_dict()
    del sample['pred_sem_seg']
    with pytest.raises(KeyError, match='pred_sem_seg'):
        BUSMetric().process({}, [sample])


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_csv_written_and_not_overwritten(tmp_path):
    out = tmp_path / 'work'
    metric = BUSMetric(csv_file='eval/per_image.csv', output_dir=str(out))
    expected_paths = [
        out / 'eval' / 'per_image.csv', out / 'eval' / 'per_image_1.csv',
        out / 'eval' / 'per_image_2.csv'
    ]
    for i, path in enumerate(expected_paths):
        metric.process({}, samples_abc())
        metric.evaluate(3)
        assert path.is_file()
        assert sorted(p.name for p in path.parent.iterdir()) == sorted(
            p.name for p in expected_paths[:i + 1])

    first = expected_paths[0].read_text()
    assert expected_paths[1].read_text() == first  # same content, new file
    rows = read_csv(expected_paths[0])
    assert list(rows[0]) == ['img_path', 'tp', 'fp', 'fn', 'tn', *NAMES]
    assert [r['img_path'] for r in rows] == ['a.png', 'b.png', 'c.png']
    for row, counts, ratios in zip(rows, (COUNTS_A, COUNTS_B, COUNTS_C),
                                   (RATIOS_A, RATIOS_B, RATIOS_C)):
        assert tuple(int(row[k]) for k in ('tp', 'fp', 'fn', 'tn')) == counts
        for name in NAMES:
            assert float(row[name]) == pytest.approx(ratios[name])


def test_csv_relative_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    metric = BUSMetric(csv_file='scores.csv')
    metric.process({}, samples_abc()[:1])
    metric.evaluate(1)
    rows = read_csv(tmp_path / 'scores.csv')
    assert len(rows) == 1 and rows[0]['img_path'] == 'a.png'


def test_bad_config_raises():
    with pytest.raises(ValueError, match='lesion_index'):
        BUSMetric(lesion_index=255)
    with pytest.raises(ValueError, match='csv_file'):
        BUSMetric(csv_file='')


def test_build_from_registry():
    metric = METRICS.build(dict(type='BUSMetric', csv_file=None))
    assert isinstance(metric, BUSMetric)
    # As tools/test.py builds it: default scope 'mmseg' + mmengine Evaluator.
    init_default_scope('mmseg')
    evaluator = Evaluator(dict(type='BUSMetric'))
    assert isinstance(evaluator.metrics[0], BUSMetric)
    evaluator.process(
        data_samples=[make_sample(*img) for img in IMAGES], data_batch={})
    res = evaluator.evaluate(3)
    assert res['num_images'] == 3
    assert res['Dice'] == pytest.approx(EXPECTED_MEAN['Dice'])
    assert res['pixel_Dice'] == pytest.approx(EXPECTED_PIXEL['pixel_Dice'])
