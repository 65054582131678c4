"""The discriminator's update of ASSGAN (Eq. 3): real = ground-truth masks,
fake = generator masks, both shown to D the way the trust gate shows them.
With a critic gate (:class:`~bus_mm.models.gates.ErrorMapGate`) D instead
regresses each labeled fake's error map (a ground-truth mask has none)."""
from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..gates.error_map_gate import critic_error, error_targets
from .assgan_generators import to_float


def discriminator_step(discriminator: nn.Module, gate, wrapper, real: Tensor,
                       image: Tensor, fakes: Dict[str, Tuple[Tensor, float]],
                       real_label: float, log_vars: dict) -> float:
    """One optimizer step of D on ``BCE(D(y), real) + BCE(D(G(x)), fake)``.

    Args:
        discriminator (nn.Module): D.
        gate (DiscriminatorGate): Decides what D sees of a mask
            (:meth:`~bus_mm.models.gates.DiscriminatorGate.d_input`).
        wrapper (OptimWrapper): D's optimizer wrapper.
        real (Tensor): (N_l, 1, H, W) 0/1 ground truth of the labeled images
            (padding zeroed).
        image (Tensor): The batch's images; the first N_l are labeled, the
            first ``n_fake`` were predicted.
        fakes (dict): Short generator name (``'a'``, ``'b'``) to
            ``(prob, threshold)``: its (n_fake, 1, H, W) lesion probabilities
            (detached here) and its decision threshold.
        real_label (float): Target of the real masks (< 1: one-sided label
            smoothing).
        log_vars (dict): Receives ``disc.loss_real``, ``disc.loss_fake``,
            ``score_real`` and ``score_<k>`` (mean D scores; for a critic
            its mean predicted error) and, for a critic,
            ``disc.critic_mae`` (its error on the labeled fakes).

    Returns:
        float: D's loss.
    """
    nl = real.shape[0]
    reals = [real]
    if gate.regresses_error:  # only labeled fakes have a known error map
        fakes = {k: (prob[:nl], thr) for k, (prob, thr) in fakes.items()}
        if gate.corrupt_real:
            reals.append(gate.corrupted(real))
    inputs = [gate.d_input(r, image[:nl]) for r in reals] + [
        gate.d_input(prob.detach().float(), image[:prob.shape[0]], thr)
        for prob, thr in fakes.values()]
    with wrapper.optim_context(discriminator):
        d_out = discriminator(torch.cat(inputs))
        n_real = nl * len(reals)
        d_real, d_fake = d_out[:n_real], d_out[n_real:]
        if gate.regresses_error:
            size = d_out.shape[-2:]
            real_target = torch.cat([error_targets(r, real, size)
                                     for r in reals]).to(d_out.dtype)
            fake_target = torch.cat([
                error_targets(prob > thr, real, size)
                for prob, thr in fakes.values()]).to(d_fake.dtype)
            log_vars['disc.critic_mae'] = critic_error(d_fake, fake_target)
        else:
            real_target = torch.full_like(d_real, real_label)
            fake_target = torch.zeros_like(d_fake)
        loss_real = F.binary_cross_entropy_with_logits(d_real, real_target)
        loss_fake = F.binary_cross_entropy_with_logits(d_fake, fake_target)
    wrapper.update_params(loss_real + loss_fake)
    log_vars['disc.loss_real'] = to_float(loss_real)
    log_vars['disc.loss_fake'] = to_float(loss_fake)
    with torch.no_grad():
        log_vars['score_real'] = to_float(d_real.float().sigmoid())
        start = 0
        for k, (prob, _) in fakes.items():
            part = d_fake[start:start + prob.shape[0]]
            log_vars[f'score_{k}'] = to_float(part.float().sigmoid())
            start += prob.shape[0]
    return to_float(loss_real) + to_float(loss_fake)
