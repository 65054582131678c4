"""UniMatch (Yang et al., CVPR 2023, "Revisiting weak-to-strong consistency
in semi-supervised semantic segmentation") for binary lesion segmentation.

One student network ``f`` (any binary mmseg ``EncoderDecoder``, e.g.
ASSGAN's generator A). A batch mixes labeled and unlabeled images (as
ASSGAN's, from ``LabeledUnlabeledSampler``); per iteration:

* ``L_x``: the student's own head losses on the labeled images (decode and
  auxiliary heads; the auxiliary heads see labeled images only);
* weak view ``x^w`` (the pipeline's resize and flip): the prediction
  ``p^w = f(x^w)`` without gradients gives the pseudo-label (``p > t`` with
  the decode head's threshold ``t``; argmax for 2-channel heads) and the
  confidence ``max(p, 1 - p)``; only pixels with confidence ``> tau``
  teach (``semi_train_cfg.threshold``; the paper writes ``>= 0.95``: with
  ``>``, ``tau = 1`` switches every unlabeled loss off and ``tau = 0`` keeps
  every pixel; ``threshold_lesion`` gives the pixels predicted lesion their
  own threshold);
* image perturbation: two strong views ``x^s1``, ``x^s2`` of ``x^w``, two
  independent draws of :class:`~bus_mm.models.utils.StrongPerturbation`
  (intensity, blur, speckle, CutMix inside the unlabeled batch; the
  pseudo-labels are pasted with the boxes), each trained to ``p^w``:
  ``L_s1``, ``L_s2``;
* feature perturbation: the backbone (+ neck) features of ``x^w`` go
  through ``Dropout2d(fp_dropout)`` (every level independently) before the
  decode head; that prediction is trained to ``p^w``: ``L_fp``. The labeled
  and weak images share one backbone forward, and the decode head sees the
  clean features and the dropped ones in one call (UniMatch's
  ``need_fp``);
* ``loss = (L_x + lambda_u * (w_s1 L_s1 + w_s2 L_s2 + w_fp L_fp)) /
  (1 + lambda_u)``; the paper's ``(L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp)
  / 2`` is ``lambda_u = 1`` with the default weights.

The unlabeled losses are the student's decode-head loss (its
``loss_decode``, e.g. Dice + BCE) on the pseudo-labels with unconfident
pixels ignored (255), as ASSGAN's ``L_semi``, or ``semi_train_cfg.loss_u``
(the official medical recipe: Dice alone). The supervised phase
(``semi_enabled`` False, switched by :class:`UniMatchHook` = ``ASSGANHook``
plus a check that the train loader has unlabeled data) trains ``L_x`` only
and equals a plain supervised run of the student bit for bit.

Starting from ASSGAN's supervised phase: an ASSGAN checkpoint stores the
network as ``generator_a.*`` (UniMatch: ``segmentor.*``); load it into the
student with mmengine's prefix-aware ``Pretrained`` init::

    model = dict(segmentor=dict(init_cfg=dict(
        type='Pretrained', prefix='generator_a.',
        checkpoint='work_dirs/assgan_.../iter_400.pth')))

(``--cfg-options model.segmentor.init_cfg.type=Pretrained
model.segmentor.init_cfg.prefix=generator_a.
model.segmentor.init_cfg.checkpoint=...``), and set the hook's
``semi_start=0``. A UniMatch checkpoint loads with ``load_from`` as usual.
"""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from torch import Tensor

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from ...evaluation.gate_audit import audit_pseudo_labels
from ..gates import IGNORE_INDEX
from .assgan_generators import (build_generator, lesion_prob,
                                lesion_threshold, run_generator, sample_id,
                                to_float, unwrap, valid_mask)
from .assgan_losses import semi_loss, sum_losses, supervised_losses
from .assgan_state import Batch
from .unimatch_cfg import STREAMS, UniMatchCfg


def _tail(feats, n: int):
    """Samples ``n:`` of a backbone/neck output (tensor or sequence)."""
    if isinstance(feats, Tensor):
        return feats[n:]
    return type(feats)(_tail(f, n) for f in feats)


def _cat(a, b):
    """Concatenate two backbone/neck outputs along the batch."""
    if isinstance(a, Tensor):
        return torch.cat([a, b])
    return type(a)(_cat(x, y) for x, y in zip(a, b))


def _head(feats, n: int):
    if isinstance(feats, Tensor):
        return feats[:n]
    return type(feats)(_head(f, n) for f in feats)


@MODELS.register_module()
class UniMatch(BaseSegmentor):
    """UniMatch: weak-to-strong consistency with two strong image views and
    a feature-perturbed stream, on one student segmentor.

    Training goes through :meth:`train_step` with either a plain
    ``OptimWrapper`` or an ``OptimWrapperDict`` holding ``segmentor`` (the
    shipped configs use ``MultiOptimWrapperConstructor`` as ASSGAN does, so
    ``MMSeparateDistributedDataParallel`` runs the student's own DDP). A
    batch mixes labeled and unlabeled samples (metainfo ``labeled=False``,
    no ``gt_sem_seg``); unlabeled samples with ``gt_audit_seg`` are audited
    in :attr:`last_audit` (no loss reads them).

    Args:
        segmentor (dict): mmseg segmentor config of the student, binary
            with one decode head (``out_channels`` 1 or 2); its
            ``data_preprocessor`` is dropped (UniMatch's serves the batch).
        semi_train_cfg (dict, optional): ``threshold``, ``strong_aug``,
            ``fp_dropout``, ``lambda_u``, ``weights``, ``loss_u``; see
            :class:`UniMatchCfg`.
        train_cfg (dict, optional): Kept for the mmseg contract.
        test_cfg (dict, optional): The student's ``test_cfg`` when its own
            config has none. Defaults to ``dict(mode='whole')``.
        data_preprocessor (dict, optional): mmseg ``SegDataPreProcessor``.
        init_cfg (dict, optional): Initialisation config.

    Attributes:
        semi_enabled (bool): The phase, written by :class:`UniMatchHook`.
        last_accepted_ids (dict): ``{'a': ids}`` of the unlabeled images
            with at least one confident pixel in the last iteration.
        last_audit (dict): ``{'a': rows}``, ``(confident share, true IoU of
            the pseudo-label, any confident pixel)`` per audited image.
    """

    def __init__(self,
                 segmentor: ConfigType,
                 semi_train_cfg: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.semi_train_cfg = UniMatchCfg.build(semi_train_cfg)
        test_cfg = ConfigDict(copy.deepcopy(dict(test_cfg or {})))
        test_cfg.setdefault('mode', 'whole')
        self.train_cfg, self.test_cfg = train_cfg, test_cfg
        try:
            self.segmentor = build_generator(segmentor, 'segmentor',
                                             test_cfg)
        except (TypeError, ValueError) as err:
            raise type(err)(str(err).replace('ASSGAN:', 'UniMatch:',
                                              1)) from err
        self.strong_aug = self.semi_train_cfg.build_strong_aug()
        self.loss_u = self.semi_train_cfg.build_loss_u()
        if self.loss_u is not None:
            self._check_loss_u()
        self.semi_enabled = False
        self.last_accepted_ids: Dict[str, list] = {'a': []}
        self.last_audit: Dict[str, list] = {'a': []}
        self._warned_no_unlabeled = False

    # -- the mmseg segmentor contract: the student's ----------------------
    @property
    def student(self) -> nn.Module:
        """The student segmentor (outside any DDP wrapper)."""
        return unwrap(self.segmentor)

    @property
    def align_corners(self) -> bool:
        return self.student.align_corners

    @property
    def decode_head(self) -> nn.Module:
        """The student's decode head (for tools that read its
        ``threshold`` / ``out_channels``)."""
        return self.student.decode_head

    def extract_feat(self, inputs: Tensor):
        return self.student.extract_feat(inputs)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        return self.student.encode_decode(inputs, batch_img_metas)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The student's supervised losses (``mode='loss'`` callers);
        training uses :meth:`train_step`."""
        return self.student.loss(inputs, data_samples)

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        return self.student.predict(inputs, data_samples)

    def _forward(self, inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        return self.student._forward(inputs, data_samples)

    # -- training ---------------------------------------------------------
    def perturb_features(self, feats):
        """UniMatch's feature perturbation: ``Dropout2d(fp_dropout)`` on
        each level of a backbone/neck output; the identity in eval mode."""
        p = self.semi_train_cfg.fp_dropout
        if isinstance(feats, Tensor):
            return F.dropout2d(feats, p, training=self.training)
        return type(feats)(self.perturb_features(f) for f in feats)

    @staticmethod
    def _wrapper(optim_wrapper):
        if hasattr(optim_wrapper, 'keys'):
            if 'segmentor' not in optim_wrapper:
                raise KeyError(
                    'UniMatch.train_step: the OptimWrapperDict lacks '
                    "'segmentor' (it has "
                    f'{list(optim_wrapper.keys())}); use optim_wrapper='
                    "dict(constructor='MultiOptimWrapperConstructor', "
                    'segmentor=dict(...), ...) or a plain optim_wrapper.')
            return optim_wrapper['segmentor']
        return optim_wrapper

    @staticmethod
    def _labeled(samples: SampleList) -> List[int]:
        lab = [i for i, s in enumerate(samples)
               if s.metainfo.get('labeled', True)]
        for i in lab:
            if 'gt_sem_seg' not in samples[i]:
                raise ValueError(
                    f'UniMatch: sample {sample_id(samples[i])!r} is labeled '
                    'but has no gt_sem_seg; unlabeled samples must carry '
                    "metainfo labeled=False (add 'labeled' to PackSegInputs'"
                    ' meta_keys).')
        return lab

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper) -> Dict[str, float]:
        """One iteration on a batch of labeled and unlabeled samples;
        returns the log variables (``loss``, ``loss_x`` and its terms; in
        the semi phase ``loss_s1``, ``loss_s2``, ``loss_fp``,
        ``mask_ratio``)."""
        wrapper = self._wrapper(optim_wrapper)
        data = self.data_preprocessor(data, True)
        samples = data['data_samples']
        lab = self._labeled(samples)
        self.last_accepted_ids, self.last_audit = {'a': []}, {'a': []}
        batch = Batch.select(data['inputs'], samples, lab,
                             bool(self.semi_enabled))
        if self.semi_enabled and len(lab) == len(samples) and \
                not self._warned_no_unlabeled:
            print_log('UniMatch: a batch without unlabeled samples in the '
                      'semi-supervised phase; it trains L_x only.',
                      'current')
            self._warned_no_unlabeled = True
        if batch is None:
            print_log('UniMatch: a batch without labeled samples in the '
                      'supervised phase; nothing was trained.', 'current')
            return {'num_unlabeled': 0.}
        cfg = self.semi_train_cfg
        semi = batch.semi and cfg.lambda_u > 0
        seg, student = self.segmentor, self.student
        log_vars = {'num_unlabeled': float(batch.nu)}
        with wrapper.optim_context(seg):
            if semi:
                logits, aux, fp_logits = self._forward_weak(
                    seg, batch.x, batch.nl, cfg.weights['fp'] > 0)
            else:
                logits, aux = run_generator(seg, 'segmentor', batch.x,
                                            batch.nl)
                fp_logits = None
            total = 0.
            if batch.nl > 0:
                terms = supervised_losses(student, logits[:batch.nl], aux,
                                          batch.samples[:batch.nl])
                total = sum_losses(terms)
                log_vars.update({k: to_float(v) for k, v in terms.items()})
            log_vars['loss_x'] = to_float(total)
            if semi:
                loss_u = self._unlabeled_losses(batch, logits[batch.nl:],
                                                fp_logits, log_vars)
                total = (total + cfg.lambda_u * loss_u) / (1 + cfg.lambda_u)
        if isinstance(total, Tensor) and total.requires_grad:
            wrapper.update_params(total)
        return {'loss': to_float(total), **log_vars}

    def _forward_weak(self, wrapper: nn.Module, x: Tensor, nl: int,
                      fp: bool) -> Tuple[Tensor, Optional[list],
                                         Optional[Tensor]]:
        """One forward of the labeled and weak images through ``wrapper``
        (DDP or bare): decode-head logits of all, auxiliary logits of the
        labeled ones and, with ``fp``, the decode-head logits of the weak
        images' dropped-out features (None without).

        Forward hooks catch the backbone/neck output, append its perturbed
        unlabeled part (so the decode head runs once on both, as UniMatch's
        ``need_fp`` forward) and attach the auxiliary heads' outputs, all
        inside the student's own ``forward``: a DDP wrapper sees one
        forward that uses every parameter.
        """
        gen = unwrap(wrapper)
        n = x.shape[0]
        with_aux = gen.with_auxiliary_head and nl > 0
        source = gen.neck if gen.with_neck else gen.backbone
        caught = {}

        def perturb(module, args, output):
            caught['x'] = output
            if fp and n > nl:
                return _cat(output, self.perturb_features(_tail(output, nl)))
            return None

        def attach_aux(module, args, output):
            if not with_aux:
                return output, None
            feats = _head(caught['x'], nl)
            heads = gen.auxiliary_head
            if isinstance(heads, nn.ModuleList):
                return output, [head(feats) for head in heads]
            return output, [heads(feats)]

        handles = [source.register_forward_hook(perturb),
                   gen.register_forward_hook(attach_aux)]
        try:
            out, aux = wrapper(x, None, mode='tensor')
        finally:
            for handle in handles:
                handle.remove()
        if not isinstance(out, Tensor):
            raise TypeError(
                f'UniMatch: segmentor.decode_head returned '
                f'{type(out).__name__}; UniMatch needs heads that return one '
                'logit tensor (FCN, PSP, ASPP, DepthwiseSeparableASPP, ...).')
        fp_logits = out[n:] if fp and n > nl else None
        return out[:n], aux, fp_logits

    def unlabeled_loss(self, logits: Tensor, labels: Tensor,
                       weights: Tensor) -> Optional[Tensor]:
        """``semi_train_cfg.loss_u`` on the images with a confident pixel,
        called as a decode head calls its ``loss_decode``.

        Args:
            logits (Tensor): (N, C, h, w) decode-head logits.
            labels (Tensor): (N, 1, H, W) pseudo-labels, 255 = ignore.
            weights (Tensor): (N,) 0/1: whether an image teaches.

        Returns:
            Tensor | None: The loss, None when no image teaches.
        """
        idx = (weights > 0).nonzero(as_tuple=True)[0]
        if len(idx) == 0:
            return None
        logits = resize(logits[idx], size=labels.shape[2:], mode='bilinear',
                        align_corners=self.align_corners)
        return self.loss_u(logits, labels[idx, 0],
                           ignore_index=IGNORE_INDEX)

    def _check_loss_u(self) -> None:
        """Call ``loss_u`` once on a dummy batch shaped like the student's
        decode-head output, so a loss that does not fit the head fails
        before training starts."""
        head = self.decode_head
        channels = getattr(head, 'out_channels', 1)
        logits = torch.zeros(1, channels, 4, 4, requires_grad=True)
        labels = torch.zeros(1, 1, 4, 4, dtype=torch.long)
        try:
            out = self.unlabeled_loss(logits, labels, torch.ones(1))
            if not isinstance(out, Tensor) or out.dim() != 0:
                raise ValueError(f'it returned {type(out).__name__} '
                                 'instead of a scalar tensor')
        except (TypeError, ValueError, RuntimeError) as err:
            raise ValueError(
                f'UniMatch: semi_train_cfg.loss_u '
                f'({self.semi_train_cfg.loss_u.get("type")}) does not fit the '
                f'student\'s decode head ({channels} output channel(s)): '
                f'{err}') from err

    def pseudo_labels(self, logits_u: Tensor, valid: Tensor
                      ) -> Tuple[Tensor, Tensor, Tensor]:
        """Pseudo-labels of the weak view (no gradients).

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``labels`` (N, 1, H, W), the hard
            prediction with 255 on unconfident and invalid pixels; ``hard``,
            the same with 255 on invalid pixels only; ``confident`` (N, 1,
            H, W) bool.
        """
        student = self.student
        with torch.no_grad():
            prob = lesion_prob(student, logits_u.detach().float(),
                               valid.shape[-2:])
            conf = torch.maximum(prob, 1 - prob)
            ok = valid > 0
            pred = (prob > lesion_threshold(student)).long()
            tau_b, tau_l = self.semi_train_cfg.class_thresholds()
            tau = torch.where(pred > 0, conf.new_tensor(tau_l),
                              conf.new_tensor(tau_b))
            confident = (conf > tau) & ok
            ignore = torch.full_like(pred, IGNORE_INDEX)
            hard = torch.where(ok, pred, ignore)
            labels = torch.where(confident, pred, ignore)
        return labels, hard, confident

    def _unlabeled_losses(self, batch: Batch, logits_u: Tensor,
                          fp_logits: Optional[Tensor],
                          log_vars: dict) -> Tensor:
        """``w_s1 L_s1 + w_s2 L_s2 + w_fp L_fp`` on the unlabeled images;
        fills ``log_vars`` and the records the hook reads."""
        cfg, student, nl = self.semi_train_cfg, self.student, batch.nl
        unl = batch.samples[nl:]
        valid = valid_mask(unl, batch.x.shape[-2:], batch.x.device)
        labels, hard, confident = self.pseudo_labels(logits_u, valid)
        counts = confident.flatten(1).sum(1).float()
        share = counts / valid.flatten(1).sum(1).clamp(min=1)
        log_vars['mask_ratio'] = float(counts.sum() / valid.sum().clamp(
            min=1))
        accepted = counts > 0
        self.last_accepted_ids = {'a': [
            sample_id(unl[i]) for i in accepted.nonzero(
                as_tuple=True)[0].tolist()]}
        self.last_audit = {'a': audit_pseudo_labels(unl, hard, share,
                                                    accepted)}

        def stream_loss(logits, lab):
            weights = (lab != IGNORE_INDEX).flatten(1).any(1).float()
            if self.loss_u is None:
                return semi_loss(student, logits, unl, lab, weights)
            return self.unlabeled_loss(logits, lab, weights)

        losses = {}
        if fp_logits is not None:
            losses['fp'] = stream_loss(fp_logits, labels)
        strong = [k for k in ('s1', 's2') if cfg.weights[k] > 0]
        if strong:
            x_u = batch.x[nl:]
            mean = getattr(self.data_preprocessor, 'mean', None)
            std = getattr(self.data_preprocessor, 'std', None)
            views, mixed = [], []
            for _ in strong:  # independent draws
                xs, source, box = self.strong_aug(x_u, mean, std)
                views.append(xs)
                mixed.append(self.strong_aug.mix(labels, source, box))
            # both strong views in one forward (the bare student: a DDP
            # wrapper already saw this iteration's forward)
            out, _ = run_generator(student, 'segmentor', torch.cat(views), 0)
            for k, part, lab in zip(strong, out.split(len(x_u)), mixed):
                losses[k] = stream_loss(part, lab)
        total = 0.
        for k in STREAMS:
            value = losses.get(k)
            log_vars[f'loss_{k}'] = 0. if value is None else to_float(value)
            if value is not None:
                total = total + cfg.weights[k] * value
        return total
