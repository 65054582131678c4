"""ASSGAN: asymmetric semi-supervised GAN for BUS lesion segmentation.

Paper: "ASSGAN: asymmetric semi-supervised GAN for breast ultrasound image
segmentation" (shared/papers/000_c1d619b4b6b193b0.txt), Sec. 3.

Two generators (any mmseg ``EncoderDecoder``-style segmentors, the paper uses
DeepLabV3+ and PSPNet) and one patch discriminator D (Hung et al.) are
trained together:

* Supervised step (Algorithm 1, every iteration): each generator G_k gets its
  own decode/auxiliary head losses on the labeled images (Eq. 1) plus
  ``lambda_adv * BCE(D(G_k(x)), real)`` (Eq. 2, "fool D"); D then learns
  ``BCE(D(y), real) + BCE(D(G_k(x)), fake)`` (Eq. 3).
* Semi-supervised step (Algorithm 2, once enabled): both generators predict
  the unlabeled images, D scores each prediction, and a prediction whose
  score exceeds ``gamma`` becomes a hard pseudo-label for the OTHER generator
  (Eq. 4), trained through that generator's own decode loss. Rejected
  predictions contribute nothing.

Readings we use (see DESIGN.md "ASSGAN"):

* Score of a prediction = mean of ``sigmoid(D(p))`` over D's patch map
  (``gate='image'``). ``gate='pixel'`` instead upsamples Hung's confidence
  map and sets pixels with confidence ``<= gamma`` to ignore (255).
* D always sees the lesion probability map (``sigmoid`` of a 1-channel head,
  ``softmax[:, 1]`` of a 2-channel head) at input resolution; ground truth is
  the 0/1 mask as float. Padding (and ignore pixels of the ground truth) is
  zeroed in both, so D cannot tell real from fake by the padding.
* ``loss_semi`` is the receiving generator's decode-head loss on the accepted
  images only (averaged as that loss averages, i.e. over accepted images),
  times ``lambda_semi``. ``loss_fake`` of D averages over the fakes of both
  generators. All logged losses are after their weights.
* ``generator_b=None`` gives the single-generator ablations: the accepted
  predictions of A then supervise A itself (Hung et al.'s self-training).
  ``discriminator=None`` removes L_adv and the D step and accepts every
  pseudo-label (the "2 generators" ablation of Table 9).
"""
import copy
import logging
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.logging import MessageHub, print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList, add_prefix)

IGNORE_INDEX = 255
GENERATORS = ('generator_a', 'generator_b')
PREDICT_WITH = ('generator_a', 'generator_b', 'mean')
_SHORT = {'generator_a': 'a', 'generator_b': 'b'}
_EPS = 1e-6


def _unwrap(module: Optional[nn.Module]) -> Optional[nn.Module]:
    """Return the network inside a (DDP) model wrapper, else ``module``."""
    while module is not None and is_model_wrapper(module):
        module = module.module
    return module


def sample_id(data_sample: SegDataSample):
    """The id recorded for an unlabeled sample: ``sample_id`` or
    ``img_path`` of its metainfo (None when neither is set)."""
    meta = data_sample.metainfo
    return meta.get('sample_id', meta.get('img_path'))


def _sum_losses(losses: Dict[str, Union[Tensor, List[Tensor]]]) -> Tensor:
    """Sum the entries whose key contains ``loss`` (mmengine's rule)."""
    total = 0.
    for key, value in losses.items():
        if 'loss' not in key:
            continue
        if isinstance(value, Tensor):
            total = total + value.mean()
        else:
            total = total + sum(v.mean() for v in value)
    return total


def _slice_feats(feats, n: int):
    """First ``n`` samples of a backbone/neck output (tensor or sequence)."""
    if isinstance(feats, Tensor):
        return feats[:n]
    if isinstance(feats, (list, tuple)):
        return type(feats)(_slice_feats(f, n) for f in feats)
    raise TypeError('ASSGAN cannot slice generator features of type '
                    f'{type(feats).__name__}; the backbone/neck must return a '
                    'tensor or a list/tuple of tensors.')


def _to_float(value) -> float:
    if isinstance(value, Tensor):
        return float(value.detach().float().mean().item())
    return float(value)


@contextmanager
def _frozen(module: Optional[nn.Module]) -> Iterator[None]:
    """Temporarily set ``requires_grad=False`` on every parameter."""
    if module is None:
        yield
        return
    flags = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


@MODELS.register_module()
class ASSGAN(BaseSegmentor):
    """Asymmetric semi-supervised GAN (two generators, one discriminator).

    Training goes through :meth:`train_step` with an ``OptimWrapperDict``
    whose keys are ``generator_a``, ``generator_b`` and ``discriminator``
    (build it with ``constructor='MultiOptimWrapperConstructor'``). Batches
    mix labeled and unlabeled samples; a sample is unlabeled when its
    metainfo has ``labeled=False`` (it then needs no ``gt_sem_seg``).

    Args:
        generator_a (dict): Full mmseg segmentor config of G_1 (``type``
            defaults to ``'EncoderDecoder'``). It must have a single decode
            head with ``num_classes=2`` and ``out_channels`` 1 (sigmoid,
            the paper) or 2 (softmax). Its ``data_preprocessor`` is dropped
            (ASSGAN's own is used); a missing ``test_cfg`` is filled from
            ASSGAN's ``test_cfg`` (minus ``predict_with``).
        generator_b (dict, optional): Config of G_2, same rules. None gives
            the single-generator ablations. Defaults to None.
        discriminator (dict, optional): Config of D. None disables the GAN:
            no L_adv, no D step, and every pseudo-label is accepted.
            Defaults to ``dict(type='PatchDiscriminator', in_channels=1)``.
        gamma (float): Confidence threshold: a prediction is accepted when
            its score is ``> gamma``. Defaults to 0.5.
        gate (str): ``'image'`` (score = mean of ``sigmoid(D)``; accepted
            images give a whole hard pseudo-label) or ``'pixel'`` (Hung's
            per-pixel confidence map upsampled to the image; pixels with
            confidence ``<= gamma`` become ignore 255; an image is accepted
            when any pixel is kept). Defaults to ``'image'``.
        lambda_adv (float): Weight of L_adv. Defaults to 0.01 (Hung et al.).
        lambda_semi (float): Weight of L_semi. Defaults to 1.0.
        semi_start (int, optional): Training iteration (0-based, read from
            the runner's message hub) from which Algorithm 2 runs. None
            keeps it off unless ``semi_enabled`` is set (by
            :class:`ASSGANHook`). Defaults to None.
        adv_on_unlabeled (bool): Also use the predictions on unlabeled
            images (in the semi phase) as fakes in L_adv and the D step
            (Eq. 2 mentions X^U). Defaults to False.
        separate_unlabeled_forward (bool): In the semi phase run each
            generator on the labeled and on the unlabeled images in two
            forward passes, so BatchNorm normalises labeled images with
            labeled-only batch statistics exactly as in the supervised phase.
            With one joint pass, L_adv learnt through statistics shared with
            the unlabeled images and, on phantoms, drove generator A to
            over-predict within 150 iterations (val IoU 0.59 -> 0.18) while
            no pseudo-label had been accepted; two passes kept it stable
            (0.59 -> 0.68 over the same 40 steps). Defaults to True.
        train_cfg (dict, optional): Kept for the mmseg segmentor contract;
            each generator keeps its own. Defaults to None.
        test_cfg (dict, optional): ``predict_with`` in
            ``'generator_a' | 'generator_b' | 'mean'`` (switchable at run
            time through :attr:`predict_with`) and defaults (e.g.
            ``mode='whole'``) for generators without a ``test_cfg``.
            Defaults to ``dict(predict_with='generator_a', mode='whole')``.
        data_preprocessor (dict, optional): mmseg ``SegDataPreProcessor``
            config. Training needs ``size`` or ``size_divisor``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Attributes:
        semi_enabled (bool | None): Phase switch written by
            :class:`ASSGANHook`; when not None it overrides ``semi_start``.
        last_accepted_ids (dict): ``{'a': [...], 'b': [...]}`` sample ids
            (``sample_id`` or ``img_path``) of the unlabeled images whose
            prediction by A (resp. B) was accepted in the last iteration.
    """

    def __init__(self,
                 generator_a: ConfigType,
                 generator_b: OptConfigType = None,
                 discriminator: OptConfigType = dict(
                     type='PatchDiscriminator', in_channels=1),
                 gamma: float = 0.5,
                 gate: str = 'image',
                 lambda_adv: float = 0.01,
                 lambda_semi: float = 1.0,
                 semi_start: Optional[int] = None,
                 adv_on_unlabeled: bool = False,
                 separate_unlabeled_forward: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if gate not in ('image', 'pixel'):
            raise ValueError(f"ASSGAN: gate must be 'image' or 'pixel', got "
                             f'{gate!r}.')
        if semi_start is not None and int(semi_start) < 0:
            raise ValueError('ASSGAN: semi_start must be None or >= 0, got '
                             f'{semi_start}.')
        self.gamma = float(gamma)
        self.gate = gate
        self.lambda_adv = float(lambda_adv)
        self.lambda_semi = float(lambda_semi)
        self.semi_start = None if semi_start is None else int(semi_start)
        self.adv_on_unlabeled = bool(adv_on_unlabeled)
        self.separate_unlabeled_forward = separate_unlabeled_forward
        self.semi_enabled: Optional[bool] = None
        self.last_accepted_ids: Dict[str, list] = {'a': [], 'b': []}
        self._local_iter = 0
        self._warned_no_compute = False

        test_cfg = ConfigDict(copy.deepcopy(dict(test_cfg or {})))
        test_cfg.setdefault('predict_with', 'generator_a')
        test_cfg.setdefault('mode', 'whole')
        self.test_cfg = test_cfg
        self.train_cfg = train_cfg
        gen_test_cfg = {
            k: v
            for k, v in test_cfg.items() if k != 'predict_with'
        }

        self.generator_a = self._build_generator(generator_a, 'generator_a',
                                                 gen_test_cfg)
        self.generator_b = None if generator_b is None else \
            self._build_generator(generator_b, 'generator_b', gen_test_cfg)
        self.discriminator = None if discriminator is None else \
            MODELS.build(discriminator)
        if (self.discriminator is not None
                and getattr(self.discriminator, 'in_channels', 1) != 1):
            raise ValueError(
                'ASSGAN: the discriminator judges a 1-channel lesion '
                'probability map; set discriminator.in_channels=1, got '
                f'{self.discriminator.in_channels}.')
        if self.generator_b is None and self.discriminator is None and \
                self.semi_start is not None:
            warnings.warn('ASSGAN with one generator and no discriminator '
                          'accepts every own prediction as a pseudo-label '
                          '(plain self-training); set semi_start=None for a '
                          'supervised-only baseline.')
        # validates the value
        self.predict_with = test_cfg.predict_with

    # ------------------------------------------------------------------
    # construction helpers
    # ------------------------------------------------------------------
    @staticmethod
    def _build_generator(cfg: ConfigType, name: str,
                         test_cfg: dict) -> nn.Module:
        if not isinstance(cfg, dict):
            raise TypeError(f'ASSGAN: {name} must be a segmentor config dict,'
                            f' got {type(cfg).__name__}.')
        cfg = ConfigDict(copy.deepcopy(dict(cfg)))
        cfg.setdefault('type', 'EncoderDecoder')
        # ASSGAN preprocesses the batch once for all networks.
        cfg.pop('data_preprocessor', None)
        if cfg.get('test_cfg') is None:
            cfg['test_cfg'] = ConfigDict(copy.deepcopy(test_cfg))
        gen = MODELS.build(cfg)
        head = getattr(gen, 'decode_head', None)
        if not isinstance(head, BaseDecodeHead) or not hasattr(
                gen, 'extract_feat'):
            raise TypeError(
                f'ASSGAN: {name} must be an EncoderDecoder-style segmentor '
                'with one decode head (backbone [+ neck] + decode_head [+ '
                f'auxiliary_head]); got {type(gen).__name__} with decode_head '
                f'{type(head).__name__}. Cascade segmentors are not '
                'supported.')
        if head.num_classes != 2 or head.out_channels not in (1, 2):
            raise ValueError(
                f'ASSGAN: {name}.decode_head must be binary (num_classes=2 '
                'with out_channels=1 for sigmoid or 2 for softmax); got '
                f'num_classes={head.num_classes}, '
                f'out_channels={head.out_channels}.')
        return gen

    @property
    def generator_names(self) -> List[str]:
        """list[str]: Names of the generators that exist."""
        return [n for n in GENERATORS if getattr(self, n) is not None]

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
        """bool: ``align_corners`` of generator A's decode head (used when
        post-processing ``mean`` predictions)."""
        return _unwrap(self.generator_a).align_corners

    def _gen(self, name: str) -> nn.Module:
        return _unwrap(getattr(self, name))

    # ------------------------------------------------------------------
    # phase
    # ------------------------------------------------------------------
    def current_iter(self) -> int:
        """The training iteration: the runner's ``iter`` runtime info when a
        runner is running, else a count of :meth:`train_step` calls."""
        it = MessageHub.get_current_instance().get_info('iter')
        return self._local_iter if it is None else int(it)

    def is_semi_active(self) -> bool:
        """Whether Algorithm 2 (unlabeled images) runs this iteration."""
        if self.semi_enabled is not None:
            return bool(self.semi_enabled)
        if self.semi_start is None:
            return False
        return self.current_iter() >= self.semi_start

    # ------------------------------------------------------------------
    # building blocks
    # ------------------------------------------------------------------
    def _run_generator(self, name: str, inputs: Tensor, num_aux: int,
                       unwrapped: bool = False
                       ) -> Tuple[Tensor, Optional[list]]:
        """One forward of a generator through its (possibly DDP) wrapper.

        Returns the decode-head logits and, when the generator has auxiliary
        heads and ``num_aux > 0``, their logits on the first ``num_aux``
        images (the labeled ones). The auxiliary heads run on the features
        of the same forward (caught with a forward hook on the backbone or
        neck) inside the generator's ``forward`` call, whose output a second
        hook extends with the auxiliary logits, so a DDP wrapper sees every
        parameter in use (also with ``find_unused_parameters=True``) and no
        second forward is needed. ``unwrapped=True`` runs the bare network
        (bypassing a DDP wrapper): used for the extra unlabeled pass, whose
        gradients then reach the parameters through the same backward, so DDP
        still sees one forward and reduces each gradient once.
        """
        wrapper = getattr(self, name)
        if unwrapped:
            wrapper = _unwrap(wrapper)
        gen = _unwrap(wrapper)
        handles = []
        with_aux = gen.with_auxiliary_head and num_aux > 0
        if with_aux:
            caught = {}
            source = gen.neck if gen.with_neck else gen.backbone

            def catch(module, args, output):
                caught['x'] = output

            def attach_aux(module, args, output):
                if 'x' not in caught:
                    raise RuntimeError(
                        f'ASSGAN: could not catch the features of {name} '
                        'for its auxiliary head.')
                feats = _slice_feats(caught['x'], num_aux)
                heads = gen.auxiliary_head
                if isinstance(heads, nn.ModuleList):
                    aux = [head(feats) for head in heads]
                else:
                    aux = [heads(feats)]
                return output, aux

            handles.append(source.register_forward_hook(catch))
            handles.append(gen.register_forward_hook(attach_aux))
        try:
            out = wrapper(inputs, None, mode='tensor')
        finally:
            for handle in handles:
                handle.remove()
        logits, aux = out if with_aux else (out, None)
        if not isinstance(logits, Tensor):
            raise TypeError(
                f'ASSGAN: {name}.decode_head returned {type(logits).__name__}'
                ' in training mode; ASSGAN needs heads that return one logit '
                'tensor (FCN, PSP, ASPP, DepthwiseSeparableASPP, UPer, ...).')
        return logits, aux

    @staticmethod
    def _lesion_prob(gen: nn.Module, logits: Tensor,
                     size: Sequence[int]) -> Tensor:
        """(N, 1, H, W) lesion probability at ``size`` from head logits."""
        logits = resize(
            logits,
            size=tuple(size),
            mode='bilinear',
            align_corners=gen.align_corners)
        if logits.size(1) == 1:
            return logits.sigmoid()
        return logits.softmax(dim=1)[:, 1:2]

    @staticmethod
    def _threshold(gen: nn.Module) -> float:
        """Probability above which a generator calls a pixel lesion (the
        decode head's ``threshold`` for sigmoid heads, 0.5 = argmax for
        softmax heads)."""
        head = gen.decode_head
        return float(head.threshold) if head.out_channels == 1 else 0.5

    @staticmethod
    def _head_losses(gen: nn.Module, logits: Tensor,
                     aux_logits: Optional[list],
                     data_samples: SampleList) -> dict:
        """Decode (+ auxiliary) head losses of ``gen`` from logits computed
        once, named as ``EncoderDecoder.loss`` names them."""
        losses = add_prefix(
            gen.decode_head.loss_by_feat(logits, data_samples), 'decode')
        if gen.with_auxiliary_head and aux_logits is not None:
            heads = gen.auxiliary_head
            if isinstance(heads, nn.ModuleList):
                for idx, (head, aux) in enumerate(zip(heads, aux_logits)):
                    losses.update(
                        add_prefix(
                            head.loss_by_feat(aux, data_samples),
                            f'aux_{idx}'))
            else:
                losses.update(
                    add_prefix(
                        heads.loss_by_feat(aux_logits[0], data_samples),
                        'aux'))
        return losses

    @staticmethod
    def _valid_mask(data_samples: SampleList, size: Sequence[int],
                    device) -> Tensor:
        """(N, 1, H, W) float mask, 0 on the padding added by the data
        preprocessor (``padding_size`` metainfo) and on ignore pixels of the
        ground truth."""
        h, w = size
        mask = torch.ones((len(data_samples), 1, h, w), device=device)
        for i, sample in enumerate(data_samples):
            left, right, top, bottom = sample.metainfo.get(
                'padding_size', (0, 0, 0, 0))
            if left or right or top or bottom:
                mask[i] = 0
                mask[i, :, top:h - bottom, left:w - right] = 1
            if 'gt_sem_seg' in sample:
                gt = sample.gt_sem_seg.data.to(device)
                if gt.shape[-2:] == (h, w):
                    mask[i] *= (gt != IGNORE_INDEX).float()
        return mask

    def _judge(self, prob: Tensor) -> Tuple[Tensor, Tensor]:
        """Gate statistics of predictions from D, without gradients.

        Args:
            prob (Tensor): (N, 1, H, W) lesion probabilities.

        Returns:
            tuple[Tensor, Tensor]: Per-image scores (N,) = mean of
            ``sigmoid(D(prob))``, and the per-pixel confidence map
            (N, 1, H, W) upsampled to ``prob``'s size.
        """
        with torch.no_grad():
            patch = self.discriminator(prob.detach()).float().sigmoid()
        return self._gate_stats(patch, prob.shape[-2:])

    @staticmethod
    def _gate_stats(patch: Tensor,
                    size: Sequence[int]) -> Tuple[Tensor, Tensor]:
        patch = patch.detach().float()
        scores = patch.mean(dim=(1, 2, 3))
        conf = F.interpolate(
            patch, size=tuple(size), mode='bilinear', align_corners=False)
        return scores, conf

    def _pseudo_labels(self, gen: nn.Module, prob: Tensor, valid: Tensor,
                       scores: Optional[Tensor],
                       conf: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """Hard, detached pseudo-labels of ``gen``'s unlabeled predictions.

        Returns:
            tuple[Tensor, Tensor]: Bool (N,) accepted flags and long
            (N, 1, H, W) labels (0/1, 255 where ignored).
        """
        prob = prob.detach().float()
        keep = valid > 0
        if scores is None:  # no discriminator: accept everything
            accepted = torch.ones(
                prob.size(0), dtype=torch.bool, device=prob.device)
        elif self.gate == 'image':
            accepted = scores > self.gamma
        else:
            keep = keep & (conf > self.gamma)
            accepted = keep.flatten(1).any(dim=1)
        labels = (prob > self._threshold(gen)).long()
        labels[~keep] = IGNORE_INDEX
        return accepted, labels

    @staticmethod
    def _pseudo_samples(samples: SampleList,
                        labels: Tensor) -> SampleList:
        """SegDataSamples carrying ``labels`` as ``gt_sem_seg``."""
        out = []
        for sample, label in zip(samples, labels):
            pseudo = SegDataSample(metainfo=sample.metainfo)
            pseudo.gt_sem_seg = PixelData(data=label)
            out.append(pseudo)
        return out

    def _check_optim_wrapper(self, optim_wrapper) -> None:
        needed = list(self.generator_names)
        if self.discriminator is not None:
            needed.append('discriminator')
        if isinstance(optim_wrapper, OptimWrapper) and not hasattr(
                optim_wrapper, 'keys'):
            raise TypeError(
                'ASSGAN.train_step needs an OptimWrapperDict with keys '
                f'{needed}; build it with optim_wrapper=dict(constructor='
                "'MultiOptimWrapperConstructor', generator_a=dict(...), ...).")
        missing = [k for k in needed if k not in optim_wrapper]
        if missing:
            raise KeyError(
                f'ASSGAN.train_step: optim_wrapper lacks {missing}; add '
                f'{missing} entries to the optim_wrapper config (constructor '
                "'MultiOptimWrapperConstructor').")

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper) -> Dict[str, float]:
        """One ASSGAN iteration (Algorithm 1 and, when enabled, 2).

        Args:
            data (dict): A batch from the dataloader (``inputs`` and
                ``data_samples``), labeled and unlabeled samples mixed.
            optim_wrapper (OptimWrapperDict): Wrappers ``generator_a``,
                ``generator_b`` (if the model has it) and ``discriminator``
                (if the model has it).

        Returns:
            dict[str, float]: Log variables (see the class docstring).
        """
        self._check_optim_wrapper(optim_wrapper)
        data = self.data_preprocessor(data, True)
        inputs: Tensor = data['inputs']
        samples: SampleList = data['data_samples']

        lab = [
            i for i, s in enumerate(samples) if s.metainfo.get(
                'labeled', True)
        ]
        unl = [i for i in range(len(samples)) if i not in set(lab)]
        for i in lab:
            if 'gt_sem_seg' not in samples[i]:
                raise ValueError(
                    f'ASSGAN: sample {sample_id(samples[i])!r} is labeled but '
                    'has no gt_sem_seg; unlabeled samples must carry '
                    "metainfo labeled=False (add 'labeled' to PackSegInputs' "
                    'meta_keys).')
        semi = self.is_semi_active() and len(unl) > 0
        used = lab + (unl if semi else [])
        nl, nu = len(lab), (len(unl) if semi else 0)
        names = self.generator_names
        self.last_accepted_ids = {'a': [], 'b': []}
        self._local_iter += 1

        log_vars: Dict[str, float] = OrderedDict()
        if not used:
            if not self._warned_no_compute:
                print_log(
                    'ASSGAN: a batch had no labeled samples and the semi-'
                    'supervised phase is off; nothing was trained on it.',
                    logger='current',
                    level=logging.WARNING)
                self._warned_no_compute = True
            log_vars['num_unlabeled'] = 0.
            for name in names:
                log_vars[f'accepted_{_SHORT[name]}'] = 0.
            return log_vars

        index = torch.as_tensor(used, device=inputs.device)
        x = inputs.index_select(0, index)
        used_samples = [samples[i] for i in used]
        lab_samples, unl_samples = used_samples[:nl], used_samples[nl:]
        size = x.shape[-2:]
        valid = self._valid_mask(used_samples, size, x.device)
        disc = self.discriminator

        # 1) one forward per generator over labeled (+ unlabeled) images.
        outs = {}
        for name in names:
            gen = self._gen(name)
            with optim_wrapper[name].optim_context(getattr(self, name)):
                if nu > 0 and nl > 0 and self.separate_unlabeled_forward:
                    logits_l, aux = self._run_generator(name, x[:nl], nl)
                    logits_u, _ = self._run_generator(
                        name, x[nl:], 0, unwrapped=True)
                    logits = torch.cat([logits_l, logits_u])
                else:
                    logits, aux = self._run_generator(name, x, nl)
                prob = self._lesion_prob(gen, logits, size) * valid
            outs[name] = dict(logits=logits, aux=aux, prob=prob)

        adv_unl = semi and self.adv_on_unlabeled and disc is not None
        n_fake = nl + nu if adv_unl else nl
        gen_losses = {name: OrderedDict() for name in names}
        with _frozen(disc):
            # 2) supervised losses, L_adv and gate scores (D frozen).
            for name in names:
                gen, out = self._gen(name), outs[name]
                with optim_wrapper[name].optim_context(getattr(self, name)):
                    if nl > 0:
                        head_losses = self._head_losses(
                            gen, out['logits'][:nl], out['aux'], lab_samples)
                        gen_losses[name].update(head_losses)
                    d_out = None
                    if disc is not None and n_fake > 0:
                        d_out = disc(out['prob'][:n_fake])
                        gen_losses[name]['loss_adv'] = self.lambda_adv * \
                            F.binary_cross_entropy_with_logits(
                                d_out, torch.ones_like(d_out))
                if semi:
                    if disc is None:
                        out['scores'], out['conf'] = None, None
                    elif adv_unl:
                        out['scores'], out['conf'] = self._gate_stats(
                            d_out[nl:].sigmoid(), size)
                    else:
                        out['scores'], out['conf'] = self._judge(
                            out['prob'][nl:])
                    out['accepted'], out['labels'] = self._pseudo_labels(
                        gen, out['prob'][nl:], valid[nl:], out['scores'],
                        out['conf'])

            # 3) L_semi (Eq. 4): accepted predictions of one generator
            #    supervise the other one (itself with a single generator).
            if semi:
                for giver in names:
                    receiver = names[1 - names.index(giver)] \
                        if len(names) == 2 else giver
                    acc = outs[giver]['accepted']
                    idx = acc.nonzero(as_tuple=True)[0]
                    self.last_accepted_ids[_SHORT[giver]] = [
                        sample_id(unl_samples[i]) for i in idx.tolist()
                    ]
                    loss_semi = None
                    if idx.numel() > 0:
                        rgen = self._gen(receiver)
                        with optim_wrapper[receiver].optim_context(
                                getattr(self, receiver)):
                            rlogits = outs[receiver]['logits'][nl:][idx]
                            pseudo = self._pseudo_samples(
                                [unl_samples[i] for i in idx.tolist()],
                                outs[giver]['labels'][idx])
                            loss_semi = self.lambda_semi * _sum_losses(
                                rgen.decode_head.loss_by_feat(
                                    rlogits, pseudo))
                    if loss_semi is not None:
                        prev = gen_losses[receiver].get('loss_semi')
                        gen_losses[receiver]['loss_semi'] = \
                            loss_semi if prev is None else prev + loss_semi

            # 4) generator steps (D frozen: no gradient reaches it).
            total_loss = 0.
            for name in names:
                k = _SHORT[name]
                losses = gen_losses[name]
                loss = _sum_losses(losses)
                for key, value in losses.items():
                    if key == 'loss_adv':
                        log_vars[f'loss_adv_{k}'] = _to_float(value)
                    elif key == 'loss_semi':
                        continue
                    else:
                        log_vars[f'gen_{k}.{key}'] = _to_float(value)
                if semi:
                    log_vars[f'loss_semi_{k}'] = _to_float(
                        losses.get('loss_semi', 0.))
                if isinstance(loss, Tensor) and loss.requires_grad:
                    optim_wrapper[name].update_params(loss)
                log_vars[f'gen_{k}.loss'] = _to_float(loss)
                total_loss += _to_float(loss)

        # 5) discriminator step (generator outputs detached).
        if disc is not None and nl > 0:
            real = torch.stack([
                (s.gt_sem_seg.data == 1) for s in lab_samples
            ]).to(x.device).float() * valid[:nl]
            fakes = [outs[n]['prob'][:n_fake].detach().float() for n in names]
            with optim_wrapper['discriminator'].optim_context(
                    self.discriminator):
                d_out = self.discriminator(torch.cat([real] + fakes))
                d_real, d_fake = d_out[:nl], d_out[nl:]
                loss_real = F.binary_cross_entropy_with_logits(
                    d_real, torch.ones_like(d_real))
                loss_fake = F.binary_cross_entropy_with_logits(
                    d_fake, torch.zeros_like(d_fake))
            optim_wrapper['discriminator'].update_params(loss_real +
                                                         loss_fake)
            log_vars['disc.loss_real'] = _to_float(loss_real)
            log_vars['disc.loss_fake'] = _to_float(loss_fake)
            total_loss += _to_float(loss_real) + _to_float(loss_fake)
            with torch.no_grad():
                log_vars['score_real'] = _to_float(d_real.float().sigmoid())
                for j, name in enumerate(names):
                    part = d_fake[j * n_fake:(j + 1) * n_fake]
                    log_vars[f'score_{_SHORT[name]}'] = _to_float(
                        part.float().sigmoid())

        # 6) the paper's quantities.
        log_vars['num_unlabeled'] = float(nu)
        for name in names:
            k = _SHORT[name]
            out = outs[name]
            log_vars[f'accepted_{k}'] = float(
                out['accepted'].sum().item()) if semi else 0.
            if semi and out.get('scores') is not None:
                log_vars[f'score_unlabeled_{k}'] = _to_float(out['scores'])
        log_vars['loss'] = total_loss
        log_vars.move_to_end('loss', last=False)
        return log_vars

    # ------------------------------------------------------------------
    # mmseg segmentor contract (inference / plain loss)
    # ------------------------------------------------------------------
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
        pa = self._lesion_prob(self._gen('generator_a'), logits_a, size)
        pb = self._lesion_prob(self._gen('generator_b'), logits_b, size)
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
