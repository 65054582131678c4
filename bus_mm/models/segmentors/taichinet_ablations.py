"""Switches of TaiChiNet's ablation rows (Tables I-III).

``TAICHINET_ABLATIONS`` maps a name to the switches of one row; pass
``ablation='model3'`` (explicit switches override the preset). Table I's text
and table disagree on Models 7 and TaiChiNet ("Model 5 + CHead",
"Model 5 + LS"); the parameter counts (18.33M) show that Model 7 = Model 3 +
CAtt + CHead and TaiChiNet = Model 7 + curriculum, which is what we encode.

* Model 1 (single U-Net_p) is ``use_negative_path=False``: only the positive
  path is built (8.63M); it is trained with Dice+BCE against ``G_p`` and
  predicts ``sigmoid(O_p) > 0.5``. Neck, head and complementary loss need both
  paths and must be off.
* Models 2-4 and 6 (two paths, no head) predict with the average of the two
  paths' lesion probabilities, ``(sigmoid(O_p) + 1 - sigmoid(O_n)) / 2``
  (``test_cfg.predict_with='mean'``, the automatic choice without a head);
  with a head the prediction is ``sigmoid(O_p)`` (``'positive'``).
* ``mutual='consistent'`` (Table II, Cons-ML): both paths learn the lesion
  (``G_p``), the head reads ``sigmoid`` of the other path without the
  complement, the loss is the consistency MSE and ``'mean'`` averages
  ``sigmoid(O_p)`` and ``sigmoid(O_n)``.
* ``head_variant`` in {'a', 'b', 'c'} selects Fig. 10's heads (Table III).
"""
from typing import Dict, Optional

_SWITCHES = ('use_negative_path', 'use_c2_attention', 'use_comp_head',
             'use_comp_loss', 'use_curriculum', 'mutual', 'head_variant')


def _row(neg, catt, chead, closs, ls, mutual='complementary', head='c'):
    """One row's switches, in the order of ``_SWITCHES``."""
    return dict(zip(_SWITCHES, (neg, catt, chead, closs, ls, mutual, head)))


TAICHINET_ABLATIONS: Dict[str, dict] = {
    # Table I
    'model1': _row(False, False, False, False, False),  # U-Net_p, 8.64M
    'model2': _row(True, False, False, False, False),  # + U-Net_n, 17.28M
    'model3': _row(True, False, False, True, False),  # M2 + CLoss
    'model4': _row(True, True, False, False, False),  # M2 + CAtt, 18.33M
    'model5': _row(True, False, True, True, False),  # M3 + CHead, 17.28M
    'model6': _row(True, True, False, True, False),  # M3 + CAtt, 18.33M
    'model7': _row(True, True, True, True, False),  # M3 + CAtt + CHead
    'taichinet': _row(True, True, True, True, True),  # M7 + LS (curriculum)
    # Table II: consistent mutual learning (both paths learn the lesion)
    'taichinet_cons_ml': _row(True, True, True, True, True, 'consistent'),
    # Table III: complementary heads of Fig. 10 (a) and (b); (c) = taichinet
    'taichinet_head_a': _row(True, True, True, True, True, head='a'),
    'taichinet_head_b': _row(True, True, True, True, True, head='b'),
}
"""Switches of each ablation row (Tables I-III); ``TaiChiNet(ablation=k)``."""


def ablation_switches(name: str) -> dict:
    """The switches of the row ``name``; an unknown name raises naming the
    rows."""
    if name not in TAICHINET_ABLATIONS:
        raise ValueError(f'TaiChiNet: unknown ablation {name!r}; '
                         f'choose from {sorted(TAICHINET_ABLATIONS)}')
    return dict(TAICHINET_ABLATIONS[name])


def resolve_switches(ablation: str, **given: Optional[object]) -> dict:
    """The row's switches with the given ones (not None) on top, checked.

    Args:
        ablation (str): Key of :data:`TAICHINET_ABLATIONS`.
        **given: Switches of ``_SWITCHES``; None keeps the row's value.

    Returns:
        dict: Every switch of ``_SWITCHES``.
    """
    s = ablation_switches(ablation)
    s.update({k: v for k, v in given.items() if v is not None})
    if s['mutual'] not in ('complementary', 'consistent'):
        raise ValueError("TaiChiNet: mutual must be 'complementary' or "
                         f"'consistent', got {s['mutual']!r}")
    if not s['use_negative_path']:
        on = [k for k in ('use_c2_attention', 'use_comp_head',
                          'use_comp_loss') if s[k]]
        if on:
            raise ValueError(
                f'TaiChiNet: {", ".join(on)} need(s) both paths; set '
                'use_negative_path=True or turn them off (Model 1 is '
                "ablation='model1')")
    return s
