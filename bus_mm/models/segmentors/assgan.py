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
  the unlabeled images, the trust gate (``bus_mm.models.gates``) scores each
  prediction (with D, or, for the configs' default :class:`AgreementGate`,
  by its agreement with the other generator), and an accepted prediction
  becomes a hard pseudo-label for the OTHER generator (Eq. 4), trained
  through that generator's own decode loss. Rejected predictions contribute
  nothing.

Readings we use (see DESIGN.md "ASSGAN"): the gate decides what D sees of a
mask (soft map for the paper-literal :class:`PaperGate`, the thresholded
mask with a straight-through gradient for the default
:class:`MaskQualityGate`), for reals and fakes alike. Padding (and ignore
pixels of the ground truth) is zeroed in both. ``loss_semi`` is the
receiving generator's decode-head loss on the accepted images, times
``lambda_semi``. ``generator_b=None`` gives the single-generator ablations
(self-training); ``discriminator=None`` removes L_adv and the D step and
accepts every pseudo-label (the "2 generators" ablation of Table 9).
"""
import copy
import logging
from collections import OrderedDict
import warnings
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.logging import MessageHub, print_log
from torch import Tensor

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList
from ...evaluation.gate_audit import audit_pseudo_labels, oracle_verdict
from ..gates import (build_gate, check_gate_setup, gate_judges,
                     gate_verdict, pairwise_rule)
from .assgan_discriminator import discriminator_step
from .assgan_inference import GeneratorPairPredictor
from .assgan_generators import (build_generator, check_batch, frozen,
                                head_losses, lesion_prob, lesion_threshold,
                                pseudo_samples, run_generator, to_float,
                                unwrap, update_generators, valid_mask)
from .assgan_semi_loss import semi_losses

GENERATORS = ('generator_a', 'generator_b')
_SHORT = {'generator_a': 'a', 'generator_b': 'b'}


@MODELS.register_module()
class ASSGAN(GeneratorPairPredictor, BaseSegmentor):
    """Asymmetric semi-supervised GAN (two generators, one discriminator).

    Training goes through :meth:`train_step` with an ``OptimWrapperDict``
    whose keys are ``generator_a``, ``generator_b`` and ``discriminator``
    (build it with ``constructor='MultiOptimWrapperConstructor'``). Batches
    mix labeled and unlabeled samples; a sample is unlabeled when its
    metainfo has ``labeled=False`` (it then needs no ``gt_sem_seg``).
    Unlabeled samples that carry ``gt_audit_seg`` (dataset option
    ``audit_masks``) are audited: :attr:`last_audit` records each pseudo-
    label's gate score, true IoU and verdict; no loss ever reads them.

    Args:
        generator_a (dict): Full mmseg segmentor config of G_1 (``type``
            defaults to ``'EncoderDecoder'``), binary with one decode head
            (``out_channels`` 1 for sigmoid or 2 for softmax). Its
            ``data_preprocessor`` is dropped; a missing ``test_cfg`` is
            filled from ASSGAN's (minus ``predict_with``).
        generator_b (dict, optional): Config of G_2, same rules. None gives
            the single-generator ablations. Defaults to None.
        discriminator (dict, optional): Config of D. None disables the GAN:
            no L_adv, no D step, and every pseudo-label is accepted unless
            the gate needs no D (:class:`AgreementGate`).
            Defaults to ``dict(type='PatchDiscriminator', in_channels=1)``.
        gate (dict | str): The trust gate (``bus_mm.models.gates``), a
            config of ``MaskQualityGate`` (default), ``PaperGate``,
            ``PixelGate``, ``QuantileGate``, ``ErrorMapGate`` or
            ``AgreementGate`` (the shipped configs' default); the strings
            ``'image'`` / ``'pixel'`` name the paper-literal gates.
        gamma (float, optional): Overrides the gate's threshold (in
            [0, 1]); also settable as ``model.gamma``. Defaults to None.
        lambda_adv (float): Weight of L_adv. Defaults to 0.01 (Hung et al.).
        lambda_semi (float): Weight of L_semi. Defaults to 1.0.
        semi_normalize (str): ``'accepted'``: L_semi is the receiver's
            head loss averaged over the accepted images; ``'unlabeled'``
            (Eq. 4 as printed): times accepted / unlabeled images, so its
            weight follows the accepted share. Defaults to ``'accepted'``.
        semi_start (int, optional): Iteration (0-based, from the runner's
            message hub) from which Algorithm 2 runs. None keeps it off
            unless ``semi_enabled`` is set (by ``ASSGANHook``).
        adv_on_unlabeled (bool): In the semi phase, predictions on unlabeled
            images are fakes too (L_adv and the D step; Eq. 2/3 use X^U).
            Defaults to True.
        train_d_in_semi (bool): Keep training D during Algorithm 2 (whose
            line 15 updates G_1 and G_2 only). Defaults to False.
        real_label (float): Target of real masks in D's loss; < 1 is
            one-sided label smoothing. Defaults to 1.0.
        pairwise_gate (bool): An accepted prediction teaches the other
            generator only where D scores it above that generator's own
            prediction (GCT's rule). Defaults to False.
        oracle_gate (bool): Study only: accept a pseudo-label when its true
            IoU against the audit mask is >= gamma (needs
            ``--audit-gate``). Defaults to False.
        separate_unlabeled_forward (bool): In the semi phase run labeled
            and unlabeled images through each generator in two passes, so
            BatchNorm sees labeled-only statistics on labeled images (one
            joint pass made G_A over-predict on phantoms). Defaults to True.
        train_cfg (dict, optional): Kept for the mmseg contract.
        test_cfg (dict, optional): ``predict_with`` in ``'generator_a' |
            'generator_b' | 'mean'`` and defaults (e.g. ``mode='whole'``)
            for generators without a ``test_cfg``.
        data_preprocessor (dict, optional): mmseg ``SegDataPreProcessor``
            config. Training needs ``size`` or ``size_divisor``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Attributes:
        semi_enabled (bool | None): Phase switch written by ``ASSGANHook``;
            when not None it overrides ``semi_start``.
        last_accepted_ids (dict): ``{'a': [...], 'b': [...]}`` ids of the
            unlabeled images whose prediction by A (B) was accepted in the
            last iteration.
        last_audit (dict): ``{'a': [(score, iou, accepted), ...], 'b': ...}``
            of the last iteration's audited unlabeled images.
    """

    def __init__(self,
                 generator_a: ConfigType,
                 generator_b: OptConfigType = None,
                 discriminator: OptConfigType = dict(
                     type='PatchDiscriminator', in_channels=1),
                 gate: Union[dict, str] = dict(type='MaskQualityGate'),
                 gamma: Optional[float] = None,
                 lambda_adv: float = 0.01,
                 lambda_semi: float = 1.0,
                 semi_normalize: str = 'accepted',
                 semi_start: Optional[int] = None,
                 adv_on_unlabeled: bool = True,
                 train_d_in_semi: bool = False,
                 real_label: float = 1.0,
                 pairwise_gate: bool = False,
                 oracle_gate: bool = False,
                 separate_unlabeled_forward: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if semi_start is not None and int(semi_start) < 0:
            raise ValueError('ASSGAN: semi_start must be None or >= 0, got '
                             f'{semi_start}.')
        if not 0. < float(real_label) <= 1.:
            raise ValueError('ASSGAN: real_label must lie in (0, 1], got '
                             f'{real_label}.')
        self.gate = build_gate(gate)
        if gamma is not None:
            self.gamma = gamma
        self.lambda_adv = float(lambda_adv)
        self.lambda_semi = float(lambda_semi)
        if semi_normalize not in ('accepted', 'unlabeled'):
            raise ValueError("ASSGAN: semi_normalize must be 'accepted' or "
                             f"'unlabeled', got {semi_normalize!r}.")
        self.semi_normalize = semi_normalize
        self.semi_start = None if semi_start is None else int(semi_start)
        self.adv_on_unlabeled = bool(adv_on_unlabeled)
        self.train_d_in_semi = bool(train_d_in_semi)
        self.real_label = float(real_label)
        self.pairwise_gate = bool(pairwise_gate)
        self.oracle_gate = bool(oracle_gate)
        self.separate_unlabeled_forward = separate_unlabeled_forward
        self.semi_enabled: Optional[bool] = None
        self.last_accepted_ids: Dict[str, list] = {'a': [], 'b': []}
        self.last_audit: Dict[str, list] = {'a': [], 'b': []}
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
        self.generator_a = build_generator(generator_a, 'generator_a',
                                           gen_test_cfg)
        self.generator_b = None if generator_b is None else \
            build_generator(generator_b, 'generator_b', gen_test_cfg)
        # D draws its initial weights from a fork of the RNG, so adding or
        # removing D leaves every later random draw (the generators' init
        # and dropout) unchanged: ablations with and without D are paired.
        with torch.random.fork_rng(devices=[]):
            self.discriminator = None if discriminator is None else \
                MODELS.build(discriminator)
        check_gate_setup(self.gate, self.discriminator,
                         self.generator_b is not None, self.lambda_adv,
                         self.pairwise_gate)
        self._gated = gate_judges(self.gate, self.discriminator)
        if self.generator_b is None and self.discriminator is None and \
                self.semi_start is not None:
            warnings.warn('ASSGAN with one generator and no discriminator '
                          'accepts every own prediction as a pseudo-label '
                          '(plain self-training); set semi_start=None for a '
                          'supervised-only baseline.')
        self.predict_with = test_cfg.predict_with  # validates the value

    @property
    def gamma(self) -> float:
        """float: The gate's threshold (assignable, in [0, 1])."""
        return self.gate.gamma

    @gamma.setter
    def gamma(self, value: float) -> None:
        value = float(value)
        if not 0. <= value <= 1.:
            raise ValueError(f'ASSGAN: gamma must lie in [0, 1] (D scores '
                             f'are sigmoid outputs), got {value}.')
        self.gate.gamma = value

    @property
    def generator_names(self) -> List[str]:
        """list[str]: Names of the generators that exist."""
        return [n for n in GENERATORS if getattr(self, n) is not None]

    def _gen(self, name: str) -> nn.Module:
        return unwrap(getattr(self, name))

    def current_iter(self) -> int:
        """The runner's ``iter`` when a runner runs, else a count of
        :meth:`train_step` calls."""
        it = MessageHub.get_current_instance().get_info('iter')
        return self._local_iter if it is None else int(it)

    def is_semi_active(self) -> bool:
        """Whether Algorithm 2 (unlabeled images) runs this iteration."""
        if self.semi_enabled is not None:
            return bool(self.semi_enabled)
        if self.semi_start is None:
            return False
        return self.current_iter() >= self.semi_start

    def _pseudo_samples(self, samples: SampleList,
                        labels: Tensor) -> SampleList:
        return pseudo_samples(samples, labels)

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper) -> Dict[str, float]:
        """One ASSGAN iteration (Algorithm 1 and, when enabled, 2).

        Args:
            data (dict): A batch (``inputs``, ``data_samples``), labeled and
                unlabeled samples mixed.
            optim_wrapper (OptimWrapperDict): ``generator_a``,
                ``generator_b`` and ``discriminator`` wrappers (those the
                model has).

        Returns:
            dict[str, float]: Log variables.
        """
        data = self.data_preprocessor(data, True)
        inputs: Tensor = data['inputs']
        samples: SampleList = data['data_samples']
        needed = self.generator_names + (
            [] if self.discriminator is None else ['discriminator'])
        lab = check_batch(optim_wrapper, samples, needed)
        unl = [i for i in range(len(samples)) if i not in set(lab)]
        semi = self.is_semi_active() and len(unl) > 0
        used = lab + (unl if semi else [])
        nl, nu = len(lab), (len(unl) if semi else 0)
        names = self.generator_names
        self.last_accepted_ids = {'a': [], 'b': []}
        self.last_audit = {'a': [], 'b': []}
        self._local_iter += 1
        log_vars: Dict[str, float] = OrderedDict()
        if not used:
            if not self._warned_no_compute:
                print_log(
                    'ASSGAN: a batch had no labeled samples and the semi-'
                    'supervised phase is off; nothing was trained on it.',
                    logger='current', level=logging.WARNING)
                self._warned_no_compute = True
            log_vars['num_unlabeled'] = 0.
            for name in names:
                log_vars[f'accepted_{_SHORT[name]}'] = 0.
            return log_vars

        x = inputs.index_select(0, torch.as_tensor(used, device=inputs.device))
        batch = [samples[i] for i in used]
        valid = valid_mask(batch, x.shape[-2:], x.device)
        outs = self._forward_generators(optim_wrapper, x, nl, nu, valid)
        adv_unl = semi and self.adv_on_unlabeled and \
            self.discriminator is not None
        n_fake = nl + nu if adv_unl else nl
        with frozen(self.discriminator):
            losses = self._generator_losses(optim_wrapper, outs, x, batch, nl,
                                            n_fake, semi, valid)
            total = update_generators(
                optim_wrapper, {n: getattr(self, n) for n in names}, losses,
                semi, log_vars)
        train_d = not semi or self.train_d_in_semi
        if self.discriminator is not None and nl > 0 and train_d:
            # Eq. 3: D learns real = ground truth, fake = generator masks
            real = torch.stack([(s.gt_sem_seg.data == 1) for s in batch[:nl]
                                ]).to(x.device).float() * valid[:nl]
            fakes = {_SHORT[n]: (outs[n]['prob'][:n_fake], outs[n]['thr'])
                     for n in names}
            total += discriminator_step(
                self.discriminator, self.gate, optim_wrapper['discriminator'],
                real, x, fakes, self.real_label, log_vars)
        log_vars['num_unlabeled'] = float(nu)
        for name in names:
            k, out = _SHORT[name], outs[name]
            log_vars[f'accepted_{k}'] = float(
                out['accepted'].sum().item()) if semi else 0.
            if semi and out.get('scores') is not None:
                log_vars[f'score_unlabeled_{k}'] = to_float(out['scores'])
        if semi and self._gated:
            log_vars.update(self.gate.log_vars())
        log_vars['loss'] = total
        log_vars.move_to_end('loss', last=False)
        return log_vars

    def _forward_generators(self, optim_wrapper, x: Tensor, nl: int, nu: int,
                            valid: Tensor) -> dict:
        """One forward per generator over labeled (+ unlabeled) images."""
        outs = {}
        for name in self.generator_names:
            wrapper, gen = getattr(self, name), self._gen(name)
            with optim_wrapper[name].optim_context(wrapper):
                if nu > 0 and nl > 0 and self.separate_unlabeled_forward:
                    logits_l, aux = run_generator(wrapper, name, x[:nl], nl)
                    logits_u, _ = run_generator(gen, name, x[nl:], 0)
                    logits = torch.cat([logits_l, logits_u])
                else:
                    logits, aux = run_generator(wrapper, name, x, nl)
                prob = lesion_prob(gen, logits, x.shape[-2:]) * valid
            outs[name] = dict(logits=logits, aux=aux, prob=prob,
                              thr=lesion_threshold(gen))
        return outs

    def _generator_losses(self, optim_wrapper, outs: dict, x: Tensor,
                          batch: SampleList, nl: int, n_fake: int,
                          semi: bool, valid: Tensor) -> dict:
        """Supervised + L_adv losses, gate verdicts and L_semi (D frozen)."""
        names, disc, gate = self.generator_names, self.discriminator, \
            self.gate
        losses = {name: OrderedDict() for name in names}
        for name in names:
            gen, out = self._gen(name), outs[name]
            d_out = None
            with optim_wrapper[name].optim_context(getattr(self, name)):
                if nl > 0:
                    losses[name].update(head_losses(
                        gen, out['logits'][:nl], out['aux'], batch[:nl]))
                # L_adv; with lambda_adv=0 (D a judge only) D's forward is
                # skipped here and the gate runs it without a graph.
                if disc is not None and n_fake > 0 and self.lambda_adv > 0:
                    d_out = disc(gate.d_input(out['prob'][:n_fake],
                                              x[:n_fake], out['thr']))
                    losses[name]['loss_adv'] = self.lambda_adv * \
                        F.binary_cross_entropy_with_logits(
                            d_out, torch.ones_like(d_out))
            if semi:
                adv_unl = d_out is not None and n_fake > nl
                partner = outs[[n for n in names if n != name][0]] \
                    if gate.uses_partner else None
                self._judge(name, out, x[nl:], batch[nl:], valid[nl:],
                            d_out[nl:] if adv_unl else None, partner)
        if not semi:
            return losses
        if self.pairwise_gate and len(names) == 2 and self._gated:
            oa, ob = (outs[n] for n in names)
            oa['accepted'], ob['accepted'] = pairwise_rule(
                oa['accepted'], ob['accepted'], oa['scores'], ob['scores'])
        # L_semi (Eq. 4): accepted predictions of one generator supervise
        # the other one (itself with a single generator).
        semi_loss, ids = semi_losses(
            outs, batch, nl, {n: getattr(self, n) for n in names},
            optim_wrapper, self.lambda_semi, self.semi_normalize,
            self._pseudo_samples)
        for name, loss in semi_loss.items():
            losses[name]['loss_semi'] = loss
        self.last_accepted_ids.update({_SHORT[n]: ids[n] for n in names})
        return losses

    def _judge(self, name: str, out: dict, image: Tensor,
               samples: SampleList, valid: Tensor,
               d_logits: Optional[Tensor],
               partner: Optional[dict] = None) -> None:
        """The gate's verdict on ``name``'s unlabeled predictions (in
        ``out``; ``partner``: the other generator's, for gates that compare
        them), and the audit of its pseudo-labels where masks exist."""
        n = len(samples)
        decision = gate_verdict(
            self.gate, self.discriminator, out['prob'][-n:], image, valid,
            out['thr'], d_logits, *(() if partner is None else
                                    (partner['prob'][-n:], partner['thr'])))
        out['scores'], out['accepted'], out['labels'] = decision
        audit = audit_pseudo_labels(samples, out['labels'], out['scores'],
                                    out['accepted'])
        if self.oracle_gate:
            out['accepted'], audit = oracle_verdict(audit, n, self.gamma,
                                                    valid.device)
        self.last_audit[_SHORT[name]] = audit
