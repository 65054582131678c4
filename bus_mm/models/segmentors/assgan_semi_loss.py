"""ASSGAN's semi-supervised loss L_semi (Eq. 4): cross teaching.

An accepted prediction of one generator on an unlabeled image becomes a hard
pseudo-label for the OTHER generator (for itself in the single-generator
ablations), trained through the receiver's own decode-head loss. Rejected
predictions contribute nothing.
"""
from typing import Callable, Dict, List, Tuple

import torch.nn as nn
from torch import Tensor

from mmseg.utils import SampleList
from .assgan_generators import pseudo_samples, sample_id, sum_losses, unwrap


def semi_losses(outs: dict,
                samples: SampleList,
                num_labeled: int,
                generators: Dict[str, nn.Module],
                optim_wrapper,
                lambda_semi: float = 1.0,
                normalize: str = 'accepted',
                make_pseudo: Callable = pseudo_samples
                ) -> Tuple[Dict[str, Tensor], Dict[str, List]]:
    """L_semi of each receiving generator from the gate's verdicts.

    Args:
        outs (dict): Per generator name, ``logits`` over labeled then
            unlabeled images, and the gate's ``accepted`` (bool, one per
            unlabeled image) and ``labels`` (hard pseudo-labels with ignore
            pixels).
        samples (list[SegDataSample]): The batch, labeled samples first.
        num_labeled (int): How many of ``samples`` are labeled.
        generators (dict[str, nn.Module]): The generators (possibly DDP
            wrapped) by name, in ASSGAN's order; one or two.
        optim_wrapper (OptimWrapperDict): Gives each receiver's
            ``optim_context`` (autocast under AMP).
        lambda_semi (float): Weight of L_semi. Defaults to 1.0.
        normalize (str): ``'accepted'``: mean over the accepted images;
            ``'unlabeled'`` (Eq. 4 as printed): times accepted / unlabeled
            images. Defaults to ``'accepted'``.
        make_pseudo (Callable): ``(samples, labels) -> samples`` carrying the
            pseudo-labels as ``gt_sem_seg``. Defaults to
            :func:`pseudo_samples`.

    Returns:
        tuple[dict, dict]: ``loss_semi`` per receiving generator (only those
        that received a pseudo-label), and the ids of the accepted unlabeled
        images per giving generator.
    """
    names = list(generators)
    nl, nu = num_labeled, len(samples) - num_labeled
    losses: Dict[str, Tensor] = {}
    accepted_ids: Dict[str, List] = {}
    for giver in names:
        receiver = names[1 - names.index(giver)] if len(names) == 2 \
            else giver
        idx = outs[giver]['accepted'].nonzero(as_tuple=True)[0].tolist()
        accepted_ids[giver] = [sample_id(samples[nl + i]) for i in idx]
        if not idx:
            continue
        with optim_wrapper[receiver].optim_context(generators[receiver]):
            pseudo = make_pseudo([samples[nl + i] for i in idx],
                                 outs[giver]['labels'][idx])
            loss = lambda_semi * sum_losses(
                unwrap(generators[receiver]).decode_head.loss_by_feat(
                    outs[receiver]['logits'][nl:][idx], pseudo))
            if normalize == 'unlabeled':
                loss = loss * (len(idx) / nu)
        losses[receiver] = loss if receiver not in losses \
            else losses[receiver] + loss
    return losses, accepted_ids
