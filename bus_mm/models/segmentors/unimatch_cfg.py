"""UniMatch's ``semi_train_cfg``: options, defaults (the paper's) and the
checks that name a bad option before training starts."""
from dataclasses import dataclass, field
from typing import Optional, Tuple

from .assgan_state import build_named, known_keys_only

STREAMS = ('s1', 's2', 'fp')


@dataclass
class UniMatchCfg:
    """UniMatch's ``semi_train_cfg`` (the defaults are the paper's).

    Attributes:
        threshold (float): Confidence ``tau`` in [0, 1]: a pixel teaches
            when ``max(p, 1 - p) > tau``. Defaults to 0.95.
        threshold_lesion (float, optional): The threshold in [0, 1] of the
            pixels predicted lesion; ``threshold`` then applies to the
            pixels predicted background only. With 0.5 every lesion
            prediction teaches while background still needs ``threshold``.
            None (default): one threshold for both classes.
        strong_aug (dict): The strong perturbation of the unlabeled images
            (a ``StrongPerturbation`` config; CutMix included). Defaults to
            ``dict(type='StrongPerturbation')``.
        fp_dropout (float): ``Dropout2d`` rate of the feature perturbation,
            in [0, 1). Defaults to 0.5.
        lambda_u (float): Weight of the unlabeled losses (>= 0); the total
            is divided by ``1 + lambda_u``. Defaults to 1.0.
        weights (dict): Weights of the streams ``s1``, ``s2`` and ``fp``
            (>= 0; a stream with weight 0 is not computed). Defaults to
            ``dict(s1=0.25, s2=0.25, fp=0.5)``.
        loss_u (dict, optional): The loss of the unlabeled streams, an
            mmseg loss config called as a decode head calls its
            ``loss_decode`` (logits resized to the pseudo-labels,
            ``ignore_index=255`` on unconfident pixels). None (default)
            uses the student's own ``loss_decode``. The official medical
            recipe uses Dice alone here, which weighs the few confident
            lesion pixels as much as the many confident background ones:
            ``dict(type='DiceBCELoss', bce_weight=0., loss_name='loss_dice')``
            for a 1-channel head.
    """
    threshold: float = 0.95
    threshold_lesion: Optional[float] = None
    strong_aug: dict = field(
        default_factory=lambda: dict(type='StrongPerturbation'))
    fp_dropout: float = 0.5
    lambda_u: float = 1.0
    weights: dict = field(
        default_factory=lambda: dict(s1=0.25, s2=0.25, fp=0.5))
    loss_u: Optional[dict] = None

    @classmethod
    def build(cls, cfg: Optional[dict]) -> 'UniMatchCfg':
        """From a config dict; unknown keys and bad values raise
        ``ValueError`` naming the option."""
        cfg = known_keys_only(cls, cfg, 'UniMatch')
        weights = dict(s1=0.25, s2=0.25, fp=0.5)
        given = dict(cfg.pop('weights', None) or {})
        bad = sorted(set(given) - set(STREAMS))
        if bad:
            raise ValueError(f'UniMatch: unknown semi_train_cfg.weights keys '
                             f'{bad}; the streams are {list(STREAMS)}.')
        weights.update(given)
        out = cls(weights=weights, **cfg)
        out.threshold = _number('threshold', out.threshold, 0., 1.)
        if out.threshold_lesion is not None:
            out.threshold_lesion = _number('threshold_lesion',
                                           out.threshold_lesion, 0., 1.)
        out.fp_dropout = _number('fp_dropout', out.fp_dropout, 0., 1.,
                                 high_open=True)
        out.lambda_u = _number('lambda_u', out.lambda_u, 0., float('inf'))
        out.weights = {k: _number(f'weights.{k}', v, 0., float('inf'))
                       for k, v in out.weights.items()}
        if out.strong_aug is None and (out.weights['s1'] or
                                       out.weights['s2']):
            raise ValueError(
                'UniMatch: semi_train_cfg.strong_aug is None but the strong '
                'streams have weights; give a StrongPerturbation config or '
                'set semi_train_cfg.weights s1 and s2 to 0.')
        if out.loss_u is not None and not (isinstance(out.loss_u, dict)
                                           and 'type' in out.loss_u):
            raise ValueError(
                f'UniMatch: semi_train_cfg.loss_u must be None or a loss '
                f'config dict with a "type" (e.g. dict(type=\'DiceBCELoss\', '
                f'bce_weight=0.)), got {out.loss_u!r}.')
        return out

    def class_thresholds(self) -> Tuple[float, float]:
        """``(tau_background, tau_lesion)``."""
        if self.threshold_lesion is None:
            return self.threshold, self.threshold
        return self.threshold, self.threshold_lesion

    def build_loss_u(self):
        """The unlabeled loss module (None: the student's own)."""
        if self.loss_u is None:
            return None
        return build_named(self.loss_u, 'semi_train_cfg.loss_u', 'UniMatch')

    def build_strong_aug(self):
        """The strong perturbation (None without one); its own option
        errors are raised naming ``semi_train_cfg.strong_aug.<option>``."""
        if self.strong_aug is None:
            return None
        if not isinstance(self.strong_aug, dict):
            return self.strong_aug  # a ready perturbation object
        return build_named(self.strong_aug, 'semi_train_cfg.strong_aug',
                           'UniMatch')


def _number(name: str, value, low: float, high: float,
            high_open: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'UniMatch: semi_train_cfg.{name} must be a '
                         f'number, got {value!r}.') from None
    ok = low <= value < high if high_open else low <= value <= high
    if not ok:
        span = f'be >= {low:g}' if high == float('inf') else (
            f'lie in [{low:g}, {high:g}' + (')' if high_open else ']'))
        raise ValueError(f'UniMatch: semi_train_cfg.{name} must {span}, '
                         f'got {value}.')
    return value
