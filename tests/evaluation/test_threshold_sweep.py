"""bus_mm.evaluation.threshold_sweep, by hand."""
import numpy as np
import pytest
import torch
from mmseg.models.segmentors import EncoderDecoder

from bus_mm.evaluation.threshold_sweep import (config_threshold,
                                               default_thresholds,
                                               image_scores,
                                               lesion_probability,
                                               summarize_sweep)
from bus_mm.models.segmentors.binary_segmentor import BinarySegmentorMixin


def test_image_scores_count_pixels_above_each_threshold():
    # 4 lesion pixels with p = 0.9, 0.7, 0.4, 0.2; 4 background with 0.6, 0.1 x3
    prob = torch.tensor([[0.9, 0.7, 0.4, 0.2], [0.6, 0.1, 0.1, 0.1]])
    gt = torch.tensor([[1, 1, 1, 1], [0, 0, 0, 0]])
    s = image_scores(prob, gt, [0.15, 0.5, 0.8, 0.95])
    # t=0.15: tp 4, fp 1 -> Dice 8/9, IoU 4/5
    assert s[0] == pytest.approx([8 / 9, 4 / 5])
    # t=0.5: tp 2 (0.9, 0.7), fp 1 (0.6), fn 2 -> Dice 4/7, IoU 2/5
    assert s[1] == pytest.approx([4 / 7, 2 / 5])
    # t=0.8: tp 1, fn 3 -> Dice 2/5, IoU 1/4
    assert s[2] == pytest.approx([2 / 5, 1 / 4])
    # t=0.95: nothing predicted on a lesion image -> 0
    assert s[3] == pytest.approx([0.0, 0.0])


def test_image_scores_ignore_index_and_empty_rule():
    prob = torch.tensor([[0.9, 0.9], [0.1, 0.1]])
    gt = torch.tensor([[255, 255], [0, 0]])  # only padding could be lesion
    s = image_scores(prob, gt, [0.5])
    assert s[0] == pytest.approx([1.0, 1.0])  # both empty after ignoring
    s = image_scores(torch.tensor([[0.9]]), torch.tensor([[0]]), [0.5])
    assert s[0] == pytest.approx([0.0, 0.0])  # false positive on a normal


def test_summarize_picks_validation_and_oracle_points():
    ts = [0.3, 0.5, 0.7]
    val = np.array([[0.60, 0.5], [0.70, 0.6], [0.65, 0.55]])
    test = np.array([[0.72, 0.6], [0.68, 0.55], [0.60, 0.5]])
    r = summarize_sweep(val, test, ts, config_t=0.5)
    assert r['chosen'] == dict(config_t=0.5, val_t=0.5, oracle_t=0.3)
    assert r['metrics']['Dice@config_t'] == pytest.approx(0.68)
    assert r['metrics']['Dice@val_t'] == pytest.approx(0.68)
    assert r['metrics']['Dice@oracle_t'] == pytest.approx(0.72)
    assert r['metrics']['IoU@oracle_t'] == pytest.approx(0.6)
    # selecting by IoU: the validation IoU peaks at 0.5 too; ties -> lower t
    tie = np.array([[0.7, 0.6], [0.7, 0.6], [0.1, 0.1]])
    r = summarize_sweep(tie, test, ts, 0.5, select_by='IoU')
    assert r['chosen']['val_t'] == 0.3 and r['select_by'] == 'IoU'


def test_summarize_refuses_a_sweep_without_the_model_threshold():
    with pytest.raises(ValueError, match="own threshold 0.4"):
        summarize_sweep(np.zeros((2, 2)), np.zeros((2, 2)), [0.3, 0.5], 0.4)
    with pytest.raises(ValueError, match='select_by'):
        summarize_sweep(np.zeros((1, 2)), np.zeros((1, 2)), [0.5], 0.5,
                        select_by='Acc')
    assert 0.5 in default_thresholds() and len(default_thresholds()) == 17


class _Binary(BinarySegmentorMixin, torch.nn.Module):
    test_cfg = dict(threshold=0.35)


def test_lesion_probability_and_threshold_of_each_model_kind():
    logit = torch.tensor([[[0.0, 2.0]]])
    # bus_mm binary segmentors keep the logit: sigmoid it
    binary = _Binary()
    assert lesion_probability(binary, logit)[0].tolist() == pytest.approx(
        [0.5, torch.sigmoid(torch.tensor(2.0)).item()])
    assert config_threshold(binary, 1) == pytest.approx(0.35)
    # a 1-channel mmseg model stores sigmoid(logit) already
    stock = EncoderDecoder.__new__(EncoderDecoder)
    torch.nn.Module.__init__(stock)
    stock.decode_head = torch.nn.Module()
    stock.decode_head.threshold = 0.3
    prob = torch.tensor([[[0.2, 0.8]]])
    assert lesion_probability(stock, prob)[0].tolist() == pytest.approx(
        [0.2, 0.8])
    assert config_threshold(stock, 1) == pytest.approx(0.3)
    # 2-class softmax: lesion channel, argmax = threshold 0.5
    two = torch.tensor([[[0.0]], [[np.log(3.0)]]])
    assert lesion_probability(stock, two).item() == pytest.approx(0.75)
    assert config_threshold(stock, 2) == 0.5
