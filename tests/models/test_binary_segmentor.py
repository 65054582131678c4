"""Tests of the 1-channel segmentor plumbing (stack_gt, postprocess_result)."""
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData

from bus_mm.models.segmentors.binary_segmentor import (BinarySegmentorMixin,
                                                       stack_gt)
from mmseg.structures import SegDataSample


class _Binary(BinarySegmentorMixin):
    """The attributes the mixin requires, nothing else."""

    def __init__(self, threshold=0.5, size_divisor=4):
        self.test_cfg = self._build_test_cfg(dict(threshold=threshold),
                                             mode='whole')
        self.align_corners = False
        self.out_channels = 1
        self.size_divisor = size_divisor


def _sample(key, data, **meta):
    s = SegDataSample(metainfo=meta)
    s.set_data({key: PixelData(data=data)})
    return s


def test_stack_gt_pads_with_ignore_and_keeps_values():
    a = _sample('gt_easy_part', torch.ones(1, 2, 3, dtype=torch.uint8))
    b = _sample('gt_easy_part', torch.zeros(4, 4, dtype=torch.uint8))  # 2-D
    out = stack_gt([a, b], 'gt_easy_part', (4, 4))
    assert out.shape == (2, 1, 4, 4) and out.dtype == torch.long
    assert (out[0, 0, :2, :3] == 1).all()
    assert (out[0, 0, 2:, :] == 255).all() and (out[0, 0, :, 3:] == 255).all()
    assert (out[1] == 0).all()


def test_stack_gt_names_missing_key_and_oversized_map():
    s = _sample('gt_sem_seg', torch.zeros(1, 5, 5, dtype=torch.uint8))
    with pytest.raises(KeyError, match='gt_hard_part'):
        stack_gt([s], 'gt_hard_part', (5, 5))
    with pytest.raises(ValueError, match='larger than the batch input'):
        stack_gt([s], 'gt_sem_seg', (4, 4))


def test_pad_to_divisor_pads_right_bottom_only():
    x = torch.ones(1, 1, 5, 6)
    padded, h, w = _Binary(size_divisor=4)._pad_to_divisor(x)
    assert padded.shape[-2:] == (8, 8) and (h, w) == (5, 6)
    assert padded[..., :5, :6].eq(1).all() and padded[..., 5:, :].eq(0).all()


def test_postprocess_thresholds_logits_crops_padding_and_flips():
    logits = torch.full((1, 1, 4, 4), -5.0)
    logits[0, 0, 0, 0] = 5.0  # top-left lesion pixel
    logits[0, 0, :, 3] = 9.0  # right column is padding
    meta = dict(img_padding_size=[0, 1, 0, 0], flip=True,
                flip_direction='horizontal', ori_shape=(4, 3))
    out = _Binary().postprocess_result(logits, [SegDataSample(metainfo=meta)])
    pred = out[0].pred_sem_seg.data
    assert pred.shape == (1, 4, 3)
    # padding removed, then flipped: the lesion pixel is now top-right
    assert pred.sum() == 1 and pred[0, 0, 2] == 1
    # the stored map is the logit, not its sigmoid
    assert out[0].seg_logits.data.max() == pytest.approx(5.0)


def test_postprocess_threshold_from_test_cfg_and_channel_check():
    logits = torch.zeros(2, 1, 3, 3)  # sigmoid = 0.5 everywhere
    low = _Binary(threshold=0.4).postprocess_result(logits)
    high = _Binary(threshold=0.5).postprocess_result(logits)
    assert all(s.pred_sem_seg.data.all() for s in low)
    assert not any(s.pred_sem_seg.data.any() for s in high)
    with pytest.raises(ValueError, match='one lesion logit channel'):
        _Binary().postprocess_result(torch.zeros(1, 2, 3, 3))
    assert isinstance(_Binary().test_cfg, ConfigDict)
