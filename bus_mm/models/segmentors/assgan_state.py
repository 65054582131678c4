"""The small records ASSGAN's training step passes around: its semi-
supervised settings, the batch, each generator's output and the strong view.
"""
import re
from dataclasses import dataclass, field, fields
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import SampleList
from ...evaluation.gate_audit import audit_pseudo_labels
from ..gates import IGNORE_INDEX, GateDecision, TrustGate
from .assgan_generators import (lesion_prob, run_generator, sample_id,
                                to_float, valid_mask)


def build_named(cfg: dict, where: str, owner: str):
    """``MODELS.build(cfg)`` whose errors name the config path ``where``.

    A component's own check (``'StrongPerturbation: cutmix_prob must ...'``)
    becomes ``'<owner>: <where>.cutmix_prob must ...'``; any other build
    error (an unknown option, an unknown type) is prefixed with
    ``'<owner>: <where>: '``.

    Args:
        cfg (dict): The component's config (with ``type``).
        where (str): Its path in the config, e.g.
            ``'semi_train_cfg.strong_aug'`` or ``'model.gate'``.
        owner (str): The model class named first in the message.
    """
    try:
        return MODELS.build(dict(cfg))
    except (TypeError, ValueError, KeyError) as err:
        # str(KeyError) quotes its message; take the message itself
        msg = str(err.args[0]) if isinstance(err, KeyError) and err.args \
            else str(err)
        m = re.match(r'^\w+: (\w+) (.*)$', msg, re.S)
        if m:
            raise ValueError(f'{owner}: {where}.{m[1]} {m[2]}') from err
        raise ValueError(f'{owner}: {where}: {msg}') from err


def known_keys_only(cls, cfg: Optional[dict], owner: str) -> dict:
    """A copy of ``cfg`` (a ``semi_train_cfg``) after refusing keys that are
    not fields of the dataclass ``cls``, naming them and the known ones."""
    cfg = dict(cfg or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ValueError(f'{owner}: unknown semi_train_cfg keys {unknown}; '
                         f'the keys are {sorted(known)}.')
    return cfg


@dataclass
class SemiTrainCfg:
    """ASSGAN's ``semi_train_cfg`` (its defaults are the shipped default).

    Attributes:
        lambda_semi (float): Weight of L_semi (Eq. 4). Defaults to 1.0.
        lambda_adv (float): Weight of L_adv (Eq. 2): D as a shape prior.
            0 leaves D a judge only (with a gate that reads D) or idle.
            Defaults to 0.01 (the paper and Hung et al.).
        adv_warmup (bool): L_adv reaches the generators from the semi-
            supervised phase on; in the supervised phase D learns beside
            them (so that phase equals a run without D). Defaults to True.
        adv_on_unlabeled (bool): In the semi phase, unlabeled predictions
            are fakes too (L_adv and D's step; Eq. 2/3 use X^U); with
            ``strong_aug``, the strong-view predictions of the images that
            got no CutMix box. Defaults to True.
        train_d_in_semi (bool): Keep training D in the semi phase (Algorithm
            2 line 15 updates the generators only). Defaults to True.
        d_input (dict): What D sees (:class:`MaskView`): ``binarize``,
            ``with_image``. Defaults to both True.
        strong_aug (dict, optional): A strong perturbation
            (``StrongPerturbation``) of the unlabeled images that the
            receiving generator learns the pseudo-label on (weak-to-strong).
            None (default): the receiver learns on the teacher's own view.
            At full width on busi-dev the strong view cost generator A
            4.6 IoU points under the agreement-rank gate (3 of 3 paired
            units), so it is off unless asked for.
    """
    lambda_semi: float = 1.0
    lambda_adv: float = 0.01
    adv_warmup: bool = True
    adv_on_unlabeled: bool = True
    train_d_in_semi: bool = True
    d_input: dict = field(
        default_factory=lambda: dict(binarize=True, with_image=True))
    strong_aug: Optional[dict] = None

    @classmethod
    def build(cls, cfg: Optional[dict]) -> 'SemiTrainCfg':
        """From a config dict; unknown keys and bad values raise errors
        naming the option."""
        cfg = known_keys_only(cls, cfg, 'ASSGAN')
        out = cls(**cfg)
        for name in ('lambda_semi', 'lambda_adv'):
            value = float(getattr(out, name))
            if value < 0:
                raise ValueError(f'ASSGAN: semi_train_cfg.{name} must be >= '
                                 f'0, got {value}.')
            setattr(out, name, value)
        unknown = sorted(set(out.d_input) - {'binarize', 'with_image'})
        if unknown:
            raise ValueError('ASSGAN: semi_train_cfg.d_input takes binarize '
                             f'and with_image, got {unknown}.')
        return out

    def adv_weight(self, semi: bool) -> float:
        """L_adv's weight in this phase."""
        return self.lambda_adv if semi or not self.adv_warmup else 0.

    def check(self, gate: TrustGate, discriminator: Optional[nn.Module],
              two_generators: bool, d_view) -> None:
        """Refuse, before training, settings that cannot work together."""
        name = type(gate).__name__
        if not isinstance(gate, TrustGate):
            raise TypeError(f'ASSGAN: gate must be a TrustGate config, got '
                            f'{name}.')
        if gate.needs_pair and not two_generators:
            raise ValueError(f"ASSGAN: {name} compares the two generators; "
                             'set model.generator_b or use AcceptAllGate.')
        if discriminator is None:
            if gate.needs_discriminator:
                raise ValueError(f'ASSGAN: {name} scores with D, but '
                                 'model.discriminator is None.')
            for key in ('lambda_adv', 'train_d_in_semi'):
                if getattr(self, key):
                    raise ValueError(
                        f'ASSGAN: semi_train_cfg.{key} is set but the model '
                        f'has no discriminator; set semi_train_cfg.{key} to '
                        '0/False or give model.discriminator.')
        else:
            d_view.check(discriminator)

    def build_strong_aug(self):
        """The strong perturbation, or None."""
        if self.strong_aug is None:
            return None
        return build_named(self.strong_aug, 'semi_train_cfg.strong_aug',
                           'ASSGAN')


@dataclass
class Batch:
    """The preprocessed samples one iteration trains on.

    Attributes:
        x (Tensor): (N, C, H, W) images, the ``nl`` labeled ones first.
        samples (list[SegDataSample]): The samples in the same order.
        nl (int): Labeled samples.
        nu (int): Unlabeled samples used (0 in the supervised phase).
        semi (bool): The semi-supervised phase runs on this batch.
        valid (Tensor, optional): (N, 1, H, W), 0 on padding and ignore.
    """
    x: Tensor
    samples: SampleList
    nl: int
    nu: int
    semi: bool
    valid: Optional[Tensor] = None

    @classmethod
    def select(cls, inputs: Tensor, samples: SampleList, labeled: List[int],
               semi_enabled: bool) -> Optional['Batch']:
        """The labeled samples (and the unlabeled ones in the semi phase);
        None when nothing is left to train on."""
        unl = [i for i in range(len(samples)) if i not in set(labeled)]
        semi = semi_enabled and len(unl) > 0
        used = labeled + (unl if semi else [])
        if not used:
            return None
        x = inputs.index_select(
            0, torch.as_tensor(used, device=inputs.device))
        batch = [samples[i] for i in used]
        return cls(x, batch, len(labeled), len(unl) if semi else 0, semi,
                   valid_mask(batch, x.shape[-2:], x.device))

    def num_fakes(self, adv_on_unlabeled: bool, has_d: bool,
                  strong: bool) -> int:
        """How many leading predictions D sees as fakes."""
        unl = self.semi and adv_on_unlabeled and has_d and not strong
        return self.nl + self.nu if unl else self.nl


@dataclass
class GeneratorOutput:
    """One generator's forward on a batch.

    Attributes:
        logits (Tensor): Decode-head logits, labeled then unlabeled images.
        aux (list, optional): Auxiliary-head logits on the labeled images.
        prob (Tensor): (N, 1, H, W) lesion probabilities, padding zeroed.
        threshold (float): Its lesion threshold.
        d_logits (Tensor, optional): D's output on its first predictions
            (set when L_adv ran).
        strong_fake (tuple, optional): ``(prob, image)`` of its strong-view
            predictions that D sees as fakes (``adv_on_unlabeled`` with a
            strong view).
    """
    logits: Tensor
    aux: Optional[list]
    prob: Tensor
    threshold: float
    d_logits: Optional[Tensor] = None
    strong_fake: Optional[Tuple[Tensor, Tensor]] = None


@dataclass
class StrongView:
    """The strong view of the unlabeled images and its CutMix boxes.

    Attributes:
        x (Tensor): The perturbed images.
        source (Tensor): (N,) index of the image each box comes from.
        box (Tensor): (N, 1, H, W) bool, inside the pasted box.
        cache (dict): Each receiver's logits on ``x`` (computed once).
    """
    x: Tensor
    source: Tensor
    box: Tensor
    cache: Dict[str, Tensor] = field(default_factory=dict)

    @classmethod
    def make(cls, perturb, x: Tensor, mean: Optional[Tensor],
             std: Optional[Tensor]) -> 'StrongView':
        """Perturb ``x`` with ``perturb`` (a ``StrongPerturbation``)."""
        xs, source, box = perturb(x, mean, std)
        view = cls(xs, source, box)
        view.perturb = perturb
        return view

    def mix_labels(self, decision: GateDecision) -> Tuple[Tensor, Tensor]:
        """Pseudo-labels and per-image weights on the strong view: CutMix
        pastes labels and weights with the images; pixels from a rejected
        image are ignored, and an image's weight is the mean weight of its
        kept pixels."""
        labels = self.perturb.mix(decision.labels, self.source, self.box)
        w = decision.weights.view(-1, 1, 1, 1).expand(labels.shape)
        w = self.perturb.mix(w, self.source, self.box)
        labels = torch.where(w > 0, labels,
                             torch.full_like(labels, IGNORE_INDEX))
        keep = (labels != IGNORE_INDEX).float()
        count = keep.flatten(1).sum(1)
        weights = (w * keep).flatten(1).sum(1) / count.clamp(min=1)
        return labels, torch.where(count > 0, weights,
                                   torch.zeros_like(weights))

    def unmixed_fakes(self, gen: nn.Module, name: str,
                      valid: Tensor) -> Optional[Tuple[Tensor, Tensor]]:
        """``(prob, image)`` of ``name``'s strong-view predictions on the
        images that got no CutMix box (None when every image got one)."""
        idx = self.source == torch.arange(len(self.source),
                                          device=self.source.device)
        idx = idx.nonzero(as_tuple=True)[0]
        if len(idx) == 0:
            return None
        prob = lesion_prob(gen, self.cache[name][idx], self.x.shape[-2:])
        return prob * valid[idx], self.x[idx]

    def logits(self, gen: nn.Module, name: str) -> Tensor:
        """``gen``'s decode-head logits on the strong view (with
        gradients)."""
        if name not in self.cache:
            self.cache[name] = run_generator(gen, name, self.x, 0)[0]
        return self.cache[name]


def record_decision(k: str, samples: SampleList, decision: GateDecision,
                    log_vars: dict) -> Tuple[list, list]:
    """Log one generator's gate decision (``accepted_<k>``,
    ``score_unlabeled_<k>``) and return its audit rows (score, true IoU,
    accepted; for samples with audit masks) and the accepted sample ids."""
    accepted = decision.accepted
    log_vars[f'accepted_{k}'] = float(accepted.sum().item())
    if decision.scores is not None:
        log_vars[f'score_unlabeled_{k}'] = to_float(decision.scores)
    audit = audit_pseudo_labels(samples, decision.labels, decision.scores,
                                accepted)
    ids = [sample_id(samples[i])
           for i in accepted.nonzero(as_tuple=True)[0].tolist()]
    return audit, ids
