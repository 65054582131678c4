"""Inference plumbing shared by bus_mm's 1-channel (lesion-logit) segmentors.

:class:`BinarySegmentorMixin` gives TaiChiNet and the U-Net++ teacher mmseg's
``predict``/``inference`` with a sigmoid threshold instead of an argmax, and
:func:`stack_gt` stacks per-sample label maps (``gt_sem_seg`` and extra fields
such as the curriculum parts) into a padded batch.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from mmseg.utils import OptConfigType, OptSampleList, SampleList


class BinarySegmentorMixin:
    """Inference plumbing shared by bus_mm's 1-channel segmentors.

    Reuses :class:`EncoderDecoder`'s ``predict``/``inference``
    (``test_cfg.mode`` 'whole' or 'slide') around the class's
    ``encode_decode``, which must return a (B, 1, H, W) lesion logit at the
    input size. :meth:`postprocess_result` follows
    :meth:`BaseSegmentor.postprocess_result` (padding removal, flip, resize to
    ``ori_shape``) for ``out_channels=1`` and stores

    * ``pred_sem_seg``: ``sigmoid(logit) > test_cfg.threshold`` (0.5), 0/1;
    * ``seg_logits``: the 1-channel **logit** map (mmseg's base class would
      store the sigmoid here; we keep the logit so the name holds and
      ``sigmoid(seg_logits)`` is the lesion probability).

    Requires attributes ``test_cfg`` (ConfigDict), ``align_corners``,
    ``out_channels`` (1) and ``size_divisor``.
    """

    predict = EncoderDecoder.predict
    inference = EncoderDecoder.inference
    whole_inference = EncoderDecoder.whole_inference
    slide_inference = EncoderDecoder.slide_inference

    @staticmethod
    def _build_test_cfg(test_cfg: OptConfigType, **defaults) -> ConfigDict:
        cfg = ConfigDict(defaults)
        cfg.update(test_cfg or {})
        return cfg

    @property
    def threshold(self) -> float:
        """Probability threshold of the lesion class."""
        return float(self.test_cfg.get('threshold', 0.5))

    def _pad_to_divisor(self, inputs: Tensor) -> Tuple[Tensor, int, int]:
        """Zero-pad (right/bottom) to a multiple of ``size_divisor``."""
        h, w = inputs.shape[-2:]
        d = self.size_divisor
        pad_h, pad_w = (-h) % d, (-w) % d
        if pad_h or pad_w:
            inputs = F.pad(inputs, (0, pad_w, 0, pad_h))
        return inputs, h, w

    def postprocess_result(self,
                           seg_logits: Tensor,
                           data_samples: OptSampleList = None) -> SampleList:
        """Convert (B, 1, H, W) logits to :obj:`SegDataSample` predictions.

        Args:
            seg_logits (Tensor): Lesion logits at the (padded) input size.
            data_samples (list[:obj:`SegDataSample`], optional): Samples whose
                metainfo (``padding_size``/``img_padding_size``, ``flip``,
                ``ori_shape``) maps the logits back to the original image.

        Returns:
            list[:obj:`SegDataSample`]: With ``seg_logits`` (1-channel logit)
            and ``pred_sem_seg`` (0/1, long) at ``ori_shape``.
        """
        batch_size, channels, height, width = seg_logits.shape
        if channels != 1:
            raise ValueError(f'{type(self).__name__} predicts one lesion '
                             f'logit channel, got {channels}')
        only_prediction = data_samples is None
        if only_prediction:
            data_samples = [SegDataSample() for _ in range(batch_size)]
        for i in range(batch_size):
            logit = seg_logits[i:i + 1]
            if not only_prediction:
                meta = data_samples[i].metainfo
                pad = meta.get('img_padding_size',
                               meta.get('padding_size', [0] * 4))
                left, right, top, bottom = pad
                logit = logit[:, :, top:height - bottom, left:width - right]
                if meta.get('flip', False):
                    direction = meta.get('flip_direction', None)
                    assert direction in ['horizontal', 'vertical']
                    logit = logit.flip(dims=(3, ) if direction ==
                                       'horizontal' else (2, ))
                if 'ori_shape' in meta:
                    logit = resize(
                        logit,
                        size=meta['ori_shape'],
                        mode='bilinear',
                        align_corners=self.align_corners,
                        warning=False)
            logit = logit.squeeze(0)
            pred = (logit.sigmoid() > self.threshold).long()
            data_samples[i].set_data({
                'seg_logits': PixelData(data=logit),
                'pred_sem_seg': PixelData(data=pred)
            })
        return data_samples


def stack_gt(data_samples: SampleList,
             key: str,
             size: Tuple[int, int],
             pad_val: int = 255) -> Tensor:
    """Stack ``data_sample.<key>.data`` (1, h, w) to (B, 1, H, W) longs.

    Maps smaller than ``size`` are padded right/bottom with ``pad_val`` (the
    ignore index), as mmseg's ``stack_batch`` pads ``gt_sem_seg``; the data
    preprocessor does not pad extra fields such as ``gt_easy_part``.
    """
    maps = []
    for sample in data_samples:
        if key not in sample:
            raise KeyError(f'data_sample has no {key}')
        data = sample.get(key).data
        if data.dim() == 2:
            data = data[None]
        h, w = data.shape[-2:]
        if h > size[0] or w > size[1]:
            raise ValueError(f'{key} of size {(h, w)} is larger than the '
                             f'batch input {tuple(size)}')
        if (h, w) != tuple(size):
            data = F.pad(data, (0, size[1] - w, 0, size[0] - h),
                         value=pad_val)
        maps.append(data.long())
    return torch.stack(maps)
