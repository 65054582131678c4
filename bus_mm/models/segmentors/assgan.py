"""ASSGAN (Zhai et al., Neurocomputing 2022): two generators and a patch
discriminator D. Supervised phase (Algorithm 1): each generator learns its
head losses on the labeled images plus L_adv (Eq. 1-2), D learns real =
ground truth, fake = generator mask (Eq. 3). Semi-supervised phase
(Algorithm 2, switched on by ``ASSGANHook``): the trust gate weighs each
generator's unlabeled predictions, which become pseudo-labels for the OTHER
generator (Eq. 4), learnt on a strong view with ``semi_train_cfg.strong_aug``.
``train_step`` is split as mmagic's GANs are (:meth:`train_generators`,
:meth:`train_discriminator`); every loss is built in ``assgan_losses.py``;
docs/advanced_guides/assgan.md gives the readings of the paper.
"""
import copy
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from torch import Tensor

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig
from ..discriminators.mask_view import MaskView
from ..gates import TrustGate, mask_agreement
from .assgan_generators import (build_generator, check_batch, frozen,
                                lesion_prob, lesion_threshold,
                                run_generator, to_float, unwrap,
                                update_generators)
from .assgan_inference import GeneratorPairPredictor
from .assgan_losses import (adversarial_loss, discriminator_loss, semi_loss,
                            supervised_losses)
from .assgan_state import (Batch, GeneratorOutput, SemiTrainCfg, StrongView,
                           build_named, record_decision)

_SHORT = {'generator_a': 'a', 'generator_b': 'b'}


@MODELS.register_module()
class ASSGAN(GeneratorPairPredictor, BaseSegmentor):
    """Asymmetric semi-supervised GAN (two generators, one discriminator).

    Training goes through :meth:`train_step` with an ``OptimWrapperDict``
    (keys ``generator_a``, ``generator_b``, ``discriminator``; build it with
    ``constructor='MultiOptimWrapperConstructor'``). A batch mixes labeled
    and unlabeled samples (metainfo ``labeled=False``, no ``gt_sem_seg``);
    unlabeled samples with ``gt_audit_seg`` (``--audit-gate``) are audited
    in :attr:`last_audit`, which no loss reads.

    Args:
        generator_a (dict): mmseg segmentor config of G_1, binary with one
            decode head (``out_channels`` 1 or 2).
        generator_b (dict, optional): Config of G_2, same rules; None gives
            the single-generator ablations.
        discriminator (dict, optional): Config of D; None removes L_adv and
            the D step. Defaults to Hung et al.'s PatchDiscriminator (base
            width 32) that sees the image and the thresholded mask.
        gate (dict): The trust gate. Defaults to
            ``AgreementGate(gamma=0.2, weighting='rank')``: each pseudo-label
            weighs by the rank of the two generators' agreement on its image,
            the lowest 20% rejected; D is a shape prior (``lambda_adv``).
        semi_train_cfg (dict, optional): Loss weights, what D sees and the
            strong view; see :class:`~.assgan_state.SemiTrainCfg` for the
            keys and their defaults.
        train_cfg (dict, optional): Kept for the mmseg contract.
        test_cfg (dict, optional): ``predict_with`` in ``'generator_a' |
            'generator_b' | 'mean'`` and defaults (e.g. ``mode='whole'``)
            for generators without a ``test_cfg``.
        data_preprocessor (dict, optional): mmseg ``SegDataPreProcessor``.
        init_cfg (dict, optional): Initialisation config.

    Attributes:
        semi_enabled (bool): The phase, written by ``ASSGANHook``.
        last_accepted_ids (dict): Per generator (``'a'``, ``'b'``), the ids
            of the unlabeled images it taught on in the last iteration.
        last_audit (dict): Per generator, ``(score, iou, accepted)`` rows.
    """

    def __init__(self,
                 generator_a: ConfigType,
                 generator_b: OptConfigType,
                 discriminator: OptConfigType = dict(
                     type='PatchDiscriminator', in_channels=4,
                     base_channels=32),
                 gate: ConfigType = dict(
                     type='AgreementGate', gamma=0.2, weighting='rank'),
                 semi_train_cfg: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.semi_train_cfg = SemiTrainCfg.build(semi_train_cfg)
        self.gate = gate if isinstance(gate, TrustGate) else build_named(
            gate, 'model.gate', 'ASSGAN')
        test_cfg = ConfigDict(copy.deepcopy(dict(test_cfg or {})))
        test_cfg.setdefault('predict_with', 'generator_a')
        test_cfg.setdefault('mode', 'whole')
        self.test_cfg, self.train_cfg = test_cfg, train_cfg
        gen_test_cfg = {k: v for k, v in test_cfg.items()
                        if k != 'predict_with'}
        self.generator_a, self.generator_b = (
            None if cfg is None else build_generator(cfg, name, gen_test_cfg)
            for name, cfg in (('generator_a', generator_a),
                              ('generator_b', generator_b)))
        # a forked RNG: with or without D, later random draws are the same
        with torch.random.fork_rng(devices=[]):
            self.discriminator = None if discriminator is None else \
                MODELS.build(discriminator)
        self.d_view = MaskView(**self.semi_train_cfg.d_input)
        self.semi_train_cfg.check(self.gate, self.discriminator,
                                  self.generator_b is not None, self.d_view)
        self.strong_aug = self.semi_train_cfg.build_strong_aug()
        self.semi_enabled = False
        self.last_accepted_ids = {'a': [], 'b': []}
        self.last_audit = {'a': [], 'b': []}
        self.predict_with = test_cfg.predict_with  # validates the value

    @property
    def generator_names(self):
        """list[str]: Names of the generators that exist."""
        return [n for n in _SHORT if getattr(self, n) is not None]

    def _gen(self, name: str) -> nn.Module:
        return unwrap(getattr(self, name))

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper) -> Dict[str, float]:
        """One iteration (the generators' step, then D's) on a batch of
        labeled and unlabeled samples; returns the log variables."""
        data = self.data_preprocessor(data, True)
        needed = self.generator_names + (
            [] if self.discriminator is None else ['discriminator'])
        lab = check_batch(optim_wrapper, data['data_samples'], needed)
        batch = Batch.select(data['inputs'], data['data_samples'], lab,
                             bool(self.semi_enabled))
        self.last_accepted_ids, self.last_audit = dict(a=[], b=[]), dict(
            a=[], b=[])
        if batch is None:  # unlabeled samples only, supervised phase
            print_log('ASSGAN: a batch without labeled samples in the '
                      'supervised phase; nothing was trained.', 'current')
            return {'num_unlabeled': 0.}
        if self.discriminator is not None:  # before any network runs
            self.d_view.check(self.discriminator, batch.x.shape[1])
        log_vars, outs = self.train_generators(batch, optim_wrapper)
        if self.discriminator is not None and batch.nl > 0 and (
                not batch.semi or self.semi_train_cfg.train_d_in_semi):
            log_vars.update(
                self.train_discriminator(batch, outs, optim_wrapper))
        loss = log_vars.pop('loss_generators') + log_vars.pop('loss_d', 0.)
        return {'loss': loss, **log_vars}

    def forward_generators(self, batch: Batch,
                           optim_wrapper) -> Dict[str, GeneratorOutput]:
        """Per generator, a forward over the labeled images and one over the
        unlabeled ones (without gradients when it only teaches)."""
        outs = {}
        x, nl, nu = batch.x, batch.nl, batch.nu
        for name in self.generator_names:
            wrapper, gen = getattr(self, name), self._gen(name)
            with optim_wrapper[name].optim_context(wrapper):
                if nu > 0 and nl > 0:
                    logits_l, aux = run_generator(wrapper, name, x[:nl], nl)
                    with torch.set_grad_enabled(self.strong_aug is None):
                        logits_u, _ = run_generator(gen, name, x[nl:], 0)
                    logits = torch.cat([logits_l, logits_u])
                else:  # one kind of sample; unlabeled ones may only teach
                    with torch.set_grad_enabled(self.strong_aug is None
                                                or nl > 0):
                        logits, aux = run_generator(wrapper, name, x, nl)
                prob = lesion_prob(gen, logits, x.shape[-2:]) * batch.valid
            outs[name] = GeneratorOutput(logits, aux, prob,
                                         lesion_threshold(gen))
        return outs

    def train_generators(self, batch: Batch, optim_wrapper):
        """The generators' losses (D frozen) and steps; returns the log dict
        (``loss_generators``: their summed loss) and their outputs."""
        cfg, disc, nl = self.semi_train_cfg, self.discriminator, batch.nl
        outs = self.forward_generators(batch, optim_wrapper)
        n_fake = batch.num_fakes(cfg.adv_on_unlabeled, disc is not None,
                                 self.strong_aug is not None)
        adv = cfg.adv_weight(batch.semi)
        losses = {name: {} for name in self.generator_names}
        log_vars = {'num_unlabeled': float(batch.nu)}
        with frozen(disc):
            for name, out in outs.items():
                with optim_wrapper[name].optim_context(getattr(self, name)):
                    if nl > 0:
                        losses[name].update(supervised_losses(
                            self._gen(name), out.logits[:nl], out.aux,
                            batch.samples[:nl]))
                    if disc is not None and n_fake > 0 and adv > 0:
                        out.d_logits = disc(self.d_view(
                            out.prob[:n_fake], batch.x[:n_fake],
                            out.threshold))
                        losses[name]['loss_adv'] = adversarial_loss(
                            out.d_logits, adv)
            if batch.semi:
                log_vars.update(
                    self._teach(batch, outs, losses, optim_wrapper))
            total = update_generators(
                optim_wrapper, {n: getattr(self, n) for n in outs}, losses,
                batch.semi, log_vars)
        return {'loss_generators': total, **log_vars}, outs

    def _d_scores(self, batch: Batch, outs) -> Optional[Dict[str, Tensor]]:
        """D's score of each unlabeled prediction for gates that use D."""
        nl, disc = batch.nl, self.discriminator
        return None if disc is None or not self.gate.needs_discriminator \
            else {name: self.d_view.score(
                disc, out.prob[nl:], batch.x[nl:], out.threshold,
                out.d_logits[nl:] if out.d_logits is not None and
                out.d_logits.shape[0] > nl else None)
                for name, out in outs.items()}

    def _teach(self, batch: Batch, outs, losses, optim_wrapper) -> dict:
        """The gate's verdicts and L_semi (Eq. 4): trusted predictions of one
        generator supervise the other (itself with one generator)."""
        nl, names, log_vars = batch.nl, list(outs), {}
        unl = batch.samples[nl:]
        decisions = self.gate.judge(
            {n: outs[n].prob[nl:] for n in names},
            {n: outs[n].threshold for n in names}, batch.valid[nl:],
            self._d_scores(batch, outs))
        view = None if self.strong_aug is None else StrongView.make(
            self.strong_aug, batch.x[nl:],
            getattr(self.data_preprocessor, 'mean', None),
            getattr(self.data_preprocessor, 'std', None))
        for giver in names:
            # the other generator learns (itself, with a single generator)
            receiver = names[len(names) - 1 - names.index(giver)]
            dec, k = decisions[giver], _SHORT[giver]
            self.last_audit[k], self.last_accepted_ids[k] = record_decision(
                k, unl, dec, log_vars)
            labels, weights = dec.labels, dec.weights
            logits = outs[receiver].logits[nl:]
            with optim_wrapper[receiver].optim_context(
                    getattr(self, receiver)):
                if view is not None:
                    labels, weights = view.mix_labels(dec)
                    logits = view.logits(self._gen(receiver), receiver)
                    self._adv_on_strong_view(receiver, outs[receiver], view,
                                             batch.valid[nl:], losses)
                loss = semi_loss(self._gen(receiver), logits, unl, labels,
                                 weights, self.semi_train_cfg.lambda_semi)
            if loss is not None:
                terms = losses[receiver]
                terms['loss_semi'] = loss if 'loss_semi' not in terms \
                    else terms['loss_semi'] + loss
        if len(names) == 2:
            masks = [outs[n].prob[nl:] > outs[n].threshold for n in names]
            log_vars['pair_iou'] = to_float(
                mask_agreement(*masks, batch.valid[nl:], 1.))
        log_vars.update(self.gate.log_vars())
        return log_vars

    def _adv_on_strong_view(self, name: str, out: GeneratorOutput,
                            view: StrongView, valid: Tensor,
                            losses: dict) -> None:
        """With ``adv_on_unlabeled``, the receiver's strong-view predictions
        of the images without a CutMix box are fakes too (L_adv and D)."""
        cfg, disc = self.semi_train_cfg, self.discriminator
        if disc is None or not cfg.adv_on_unlabeled:
            return
        out.strong_fake = view.unmixed_fakes(self._gen(name), name, valid)
        if out.strong_fake is not None and cfg.lambda_adv > 0:
            d_u = disc(self.d_view(*out.strong_fake, out.threshold))
            d_all = d_u if out.d_logits is None else torch.cat(
                [out.d_logits, d_u])
            losses[name]['loss_adv'] = adversarial_loss(d_all,
                                                        cfg.lambda_adv)

    def train_discriminator(self, batch: Batch, outs,
                            optim_wrapper) -> Dict[str, float]:
        """One step of D on real = ground truth, fake = the generators'
        masks (Eq. 3); returns its log dict (``loss_d``: D's loss)."""
        nl, x = batch.nl, batch.x
        n_fake = batch.num_fakes(self.semi_train_cfg.adv_on_unlabeled, True,
                                 self.strong_aug is not None)
        real = torch.stack([(s.gt_sem_seg.data == 1) for s in batch.samples[
            :nl]]).to(x.device).float() * batch.valid[:nl]
        inputs = [self.d_view(real, x[:nl])] + [
            self.d_view(out.prob[:n_fake].detach().float(), x[:n_fake],
                        out.threshold) for out in outs.values()] + [
            self.d_view(out.strong_fake[0].detach().float(),
                        out.strong_fake[1], out.threshold)
            for out in outs.values() if out.strong_fake is not None]
        wrapper = optim_wrapper['discriminator']
        with wrapper.optim_context(self.discriminator):
            d_out = self.discriminator(torch.cat(inputs))
            loss_real, loss_fake = discriminator_loss(d_out[:nl], d_out[nl:])
        wrapper.update_params(loss_real + loss_fake)
        log_vars = {'disc.loss_real': to_float(loss_real),
                    'disc.loss_fake': to_float(loss_fake)}
        with torch.no_grad():
            log_vars['score_real'] = to_float(d_out[:nl].float().sigmoid())
            for i, name in enumerate(outs):
                part = d_out[nl + i * n_fake:nl + (i + 1) * n_fake]
                log_vars[f'score_{_SHORT[name]}'] = to_float(
                    part.float().sigmoid())
        log_vars['loss_d'] = to_float(loss_real) + to_float(loss_fake)
        return log_vars
