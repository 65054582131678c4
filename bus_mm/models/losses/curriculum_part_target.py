"""Targets of TaiChiNet's curriculum part term (Sec. IV-C, Eqs. 20-24).

In stage 1 the lesion path is also supervised by the easy part ``E_p`` of each
lesion, in stage 2 by the hard part ``H_p`` (Eqs. 21-22), on top of the
ground-truth term ``L_S(O_p, G_p)``. Both parts lie inside the lesion
(``E_p = Output(1) & GT``, ``H_p = (Output(4) & GT) - E_p``, Eqs. 23-24), so
they cover only part of it: on busi-dev the cpu128 teacher's ``E_p`` holds
29-35% of each lesion, ``H_p`` 48-60%, and 12-21% is missed.

Two readings of the part term ``L_S(O_p, part)``:

* ``'literal'`` (Eqs. 21-22 as printed): the part is a full 0/1 target, so
  every GT-lesion pixel **outside** the part is labelled background while the
  GT term labels it lesion. The two terms contradict each other there: with
  free per-pixel logits and ``E_p`` = 31% of the lesion, the optimum of
  ``L_S(O_p, G_p) + L_S(O_p, E_p)`` is ``p = 0.44`` outside ``E_p`` (stage 1),
  and stage 2 repeats the conflict on the easy core and the teacher's misses
  (``p = 0.48`` on ``E_p``). The 0.5 threshold then cuts through the lesion.
* ``'masked'`` (default): GT-lesion pixels outside the part are set to the
  ignore index in the part term, so the part only adds emphasis on its own
  pixels (target 1) and on the background (target 0), and never contradicts
  ``G_p``. Every lesion pixel then reaches ``p -> 1``; on a small CNN this
  moved IoU from 0.807 (literal) to 0.963.

Background pixels (GT 0) keep target 0, and pixels ignored in the ground truth
or the part (padding, missing masks) stay ignored in both readings.
"""
from typing import Tuple

import torch
from torch import Tensor

PART_TARGETS: Tuple[str, ...] = ('masked', 'literal')
"""Readings of the curriculum part term; see the module docstring."""


def check_part_target(part_target: str) -> str:
    """Validate a ``part_target`` option; return it.

    Raises:
        ValueError: Naming the option and its allowed values.
    """
    if part_target not in PART_TARGETS:
        raise ValueError(
            f'part_target={part_target!r} is not a curriculum part reading; '
            f"use 'masked' (the part term ignores GT-lesion pixels outside "
            f"the part; default) or 'literal' (Eqs. 21-22 as printed)")
    return part_target


def curriculum_part_target(part: Tensor,
                           gt: Tensor,
                           part_target: str = 'masked',
                           ignore_index: int = 255) -> Tensor:
    """Target of the part term ``L_S(O_p, E_p)`` / ``L_S(O_p, H_p)``.

    Args:
        part (Tensor): 0/1 easy or hard part (``E_p`` / ``H_p``), any
            integer dtype; ``ignore_index`` where padded or missing
            (``LoadCurriculumMasks(allow_missing=True)``).
        gt (Tensor): 0/1 ground truth ``G_p`` of the same shape, with
            ``ignore_index`` on padding.
        part_target (str): 'masked' or 'literal' (see the module docstring).
            Defaults to 'masked'.
        ignore_index (int): Value of ignored pixels. Defaults to 255.

    Returns:
        Tensor: Long tensor of ``part``'s shape: 1 on the part, 0 on the
        background, ``ignore_index`` where ``gt`` or ``part`` is ignored
        and, for 'masked', on the GT-lesion pixels outside the part (for
        'literal' those are 0).
    """
    check_part_target(part_target)
    if part.shape != gt.shape:
        raise ValueError(f'curriculum_part_target: part {tuple(part.shape)} '
                         f'and gt {tuple(gt.shape)} differ in shape')
    part, gt = part.long(), gt.long()
    ignored = (gt == ignore_index) | (part == ignore_index)
    on_part = (part == 1) & ~ignored
    target = torch.where(ignored, torch.full_like(part, ignore_index),
                         on_part.long())
    if part_target == 'masked':
        outside = (gt == 1) & ~on_part
        target = torch.where(outside, torch.full_like(target, ignore_index),
                             target)
    return target
