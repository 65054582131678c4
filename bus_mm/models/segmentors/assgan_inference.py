"""Inference side of ASSGAN: predict with one generator or their mean.

The mmseg segmentor contract (``loss``, ``predict``, ``_forward``,
``encode_decode``, ``extract_feat``) for a model whose ``predict_with``
names ``generator_a``, ``generator_b`` or ``mean`` (the mean of both lesion
probability maps, thresholded at 0.5), so ``tools/test.py``, visualizers and
metrics work unchanged.
"""
from typing import List, Sequence

import torch
from torch import Tensor

from mmseg.utils import OptSampleList, SampleList, add_prefix
from .assgan_generators import lesion_prob, unwrap

GENERATORS = ('generator_a', 'generator_b')
PREDICT_WITH = ('generator_a', 'generator_b', 'mean')
_SHORT = {'generator_a': 'a', 'generator_b': 'b'}
_EPS = 1e-6


class GeneratorPairPredictor:
    """Mixin of :class:`ASSGAN` (needs ``_gen``, ``generator_names``,
    ``test_cfg`` and mmseg's ``postprocess_result``)."""

    @property
    def predict_with(self) -> str:
        """str: Which network :meth:`predict` uses (``generator_a``,
        ``generator_b`` or ``mean``); assignable at run time."""
        return self.test_cfg.predict_with

    @predict_with.setter
    def predict_with(self, value: str) -> None:
        if value not in PREDICT_WITH:
            raise ValueError(f'ASSGAN: predict_with must be one of '
                             f'{PREDICT_WITH}, got {value!r}.')
        if value != 'generator_a' and getattr(self, 'generator_b',
                                              None) is None:
            raise ValueError(
                f'ASSGAN: predict_with={value!r} needs generator_b, but the '
                "model has none; use predict_with='generator_a'.")
        self.test_cfg.predict_with = value

    @property
    def align_corners(self) -> bool:
        """bool: ``align_corners`` of generator A's decode head."""
        return unwrap(self.generator_a).align_corners

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Supervised losses of the generators (their own heads only, no
        GAN terms), prefixed ``gen_a.`` / ``gen_b.``. Training uses
        :meth:`train_step`; this serves ``mode='loss'`` callers."""
        losses = dict()
        for name in self.generator_names:
            losses.update(
                add_prefix(
                    self._gen(name).loss(inputs, data_samples),
                    f'gen_{_SHORT[name]}'))
        return losses

    def _mean_log_probs(self, logits_a: Tensor, logits_b: Tensor,
                        size: Sequence[int]) -> Tensor:
        """2-channel log-probabilities (background, lesion) of the mean of
        both generators' lesion probabilities; ``argmax`` gives mean > 0.5.
        """
        pa = lesion_prob(self._gen('generator_a'), logits_a, size)
        pb = lesion_prob(self._gen('generator_b'), logits_b, size)
        p = ((pa.float() + pb.float()) / 2).clamp(_EPS, 1 - _EPS)
        return torch.cat([torch.log1p(-p), torch.log(p)], dim=1)

    def extract_feat(self, inputs: Tensor):
        """Features of the ``predict_with`` generator (a tuple with both
        generators' features for ``mean``)."""
        if self.predict_with == 'mean':
            return tuple(
                self._gen(n).extract_feat(inputs) for n in GENERATORS)
        return self._gen(self.predict_with).extract_feat(inputs)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Logits at input size of the ``predict_with`` generator; for
        ``mean``, log-probabilities of the mean lesion probability."""
        if self.predict_with == 'mean':
            la = self._gen('generator_a').encode_decode(
                inputs, [dict(m) for m in batch_img_metas])
            lb = self._gen('generator_b').encode_decode(
                inputs, [dict(m) for m in batch_img_metas])
            return self._mean_log_probs(la, lb, la.shape[-2:])
        return self._gen(self.predict_with).encode_decode(
            inputs, batch_img_metas)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Raw head output of the ``predict_with`` generator; for ``mean``,
        the (N, 2, H, W) log-probabilities of the mean lesion probability at
        input size."""
        if self.predict_with == 'mean':
            la = self._gen('generator_a')._forward(inputs, data_samples)
            lb = self._gen('generator_b')._forward(inputs, data_samples)
            return self._mean_log_probs(la, lb, inputs.shape[-2:])
        return self._gen(self.predict_with)._forward(inputs, data_samples)

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Predict with ``predict_with``.

        ``generator_a`` / ``generator_b`` return exactly that generator's
        ``predict``. ``mean`` averages both lesion probability maps and
        thresholds at 0.5: ``pred_sem_seg`` is 0/1 and ``seg_logits`` holds
        the 2-channel log-probabilities, post-processed (padding removed,
        flipped back, resized to ``ori_shape``) as mmseg does.
        """
        if self.predict_with != 'mean':
            return self._gen(self.predict_with).predict(inputs, data_samples)

        def metas():
            if data_samples is not None:
                return [s.metainfo for s in data_samples]
            return [
                dict(
                    ori_shape=inputs.shape[2:],
                    img_shape=inputs.shape[2:],
                    pad_shape=inputs.shape[2:],
                    padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]

        la = self._gen('generator_a').inference(inputs, metas())
        lb = self._gen('generator_b').inference(inputs, metas())
        seg_logits = self._mean_log_probs(la, lb, la.shape[-2:])
        return self.postprocess_result(seg_logits, data_samples)
