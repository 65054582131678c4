"""Generator plumbing of ASSGAN: building, one forward with auxiliary heads,
losses from computed logits, lesion probabilities and padding masks.

ASSGAN's generators are any mmseg ``EncoderDecoder``-style segmentors. These
functions let ASSGAN run each generator once per batch (the auxiliary heads
ride on the same forward) and reuse the logits for the supervised, the
adversarial and the semi-supervised losses.
"""
import copy
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.model import is_model_wrapper
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from .assgan_losses import sum_losses

IGNORE_INDEX = 255


def unwrap(module: Optional[nn.Module]) -> Optional[nn.Module]:
    """Return the network inside a (DDP) model wrapper, else ``module``."""
    while module is not None and is_model_wrapper(module):
        module = module.module
    return module


def sample_id(data_sample):
    """The id recorded for an unlabeled sample: ``sample_id`` or
    ``img_path`` of its metainfo (None when neither is set)."""
    meta = data_sample.metainfo
    return meta.get('sample_id', meta.get('img_path'))


def to_float(value) -> float:
    """A logged scalar as a Python float."""
    if isinstance(value, Tensor):
        return float(value.detach().float().mean().item())
    return float(value)


@contextmanager
def frozen(module: Optional[nn.Module]) -> Iterator[None]:
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


def build_generator(cfg: dict, name: str, test_cfg: dict) -> nn.Module:
    """Build a binary mmseg segmentor to serve as an ASSGAN generator.

    Args:
        cfg (dict): Segmentor config (``type`` defaults to
            ``'EncoderDecoder'``); its ``data_preprocessor`` is dropped.
        name (str): ``generator_a`` or ``generator_b`` (for messages).
        test_cfg (dict): Used when ``cfg`` has no ``test_cfg``.
    """
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
            f'{type(head).__name__}. Cascade segmentors are not supported.')
    if head.num_classes != 2 or head.out_channels not in (1, 2):
        raise ValueError(
            f'ASSGAN: {name}.decode_head must be binary (num_classes=2 '
            'with out_channels=1 for sigmoid or 2 for softmax); got '
            f'num_classes={head.num_classes}, '
            f'out_channels={head.out_channels}.')
    return gen


def _slice_feats(feats, n: int):
    """First ``n`` samples of a backbone/neck output (tensor or sequence)."""
    if isinstance(feats, Tensor):
        return feats[:n]
    if isinstance(feats, (list, tuple)):
        return type(feats)(_slice_feats(f, n) for f in feats)
    raise TypeError('ASSGAN cannot slice generator features of type '
                    f'{type(feats).__name__}; the backbone/neck must return a '
                    'tensor or a list/tuple of tensors.')


def run_generator(wrapper: nn.Module, name: str, inputs: Tensor,
                  num_aux: int) -> Tuple[Tensor, Optional[list]]:
    """One forward of a generator through ``wrapper`` (DDP or bare).

    Returns the decode-head logits and, when the generator has auxiliary
    heads and ``num_aux > 0``, their logits on the first ``num_aux`` images
    (the labeled ones). The auxiliary heads run on the features of the same
    forward (caught with a forward hook on the backbone or neck) inside the
    generator's ``forward`` call, whose output a second hook extends with
    the auxiliary logits, so a DDP wrapper sees every parameter in use (also
    with ``find_unused_parameters=True``) and no second forward is needed.
    Passing the bare network (bypassing a DDP wrapper) serves an extra
    unlabeled pass, whose gradients reach the parameters through the same
    backward, so DDP still sees one forward and reduces each gradient once.
    """
    gen = unwrap(wrapper)
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


def lesion_prob(gen: nn.Module, logits: Tensor,
                size: Sequence[int]) -> Tensor:
    """(N, 1, H, W) lesion probability at ``size`` from head logits."""
    logits = resize(
        logits, size=tuple(size), mode='bilinear',
        align_corners=gen.align_corners)
    if logits.size(1) == 1:
        return logits.sigmoid()
    return logits.softmax(dim=1)[:, 1:2]


def lesion_threshold(gen: nn.Module) -> float:
    """Probability above which a generator calls a pixel lesion (the decode
    head's ``threshold`` for sigmoid heads, 0.5 = argmax for softmax)."""
    head = gen.decode_head
    return float(head.threshold) if head.out_channels == 1 else 0.5


def valid_mask(data_samples: SampleList, size: Sequence[int],
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


def check_batch(optim_wrapper, samples: SampleList,
                needed: List[str]) -> List[int]:
    """Check ASSGAN's optimizers and labeled samples.

    Args:
        optim_wrapper: The runner's optimizer wrapper; it must be an
            ``OptimWrapperDict`` holding every name in ``needed``.
        samples (list[SegDataSample]): The batch.
        needed (list[str]): Networks that will be updated.

    Returns:
        list[int]: Indices of the labeled samples.
    """
    if not hasattr(optim_wrapper, 'keys'):
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
    lab = [i for i, s in enumerate(samples)
           if s.metainfo.get('labeled', True)]
    for i in lab:
        if 'gt_sem_seg' not in samples[i]:
            raise ValueError(
                f'ASSGAN: sample {sample_id(samples[i])!r} is labeled but '
                'has no gt_sem_seg; unlabeled samples must carry '
                "metainfo labeled=False (add 'labeled' to PackSegInputs' "
                'meta_keys).')
    return lab


def update_generators(optim_wrapper, generators: Dict[str, nn.Module],
                      losses: Dict[str, dict], semi: bool,
                      log_vars: dict) -> float:
    """Step each generator on the sum of its loss terms and log the terms.

    Args:
        optim_wrapper (OptimWrapperDict): Holds one wrapper per generator.
        generators (dict): Name (``generator_a`` / ``generator_b``) to the
            (possibly wrapped) generator.
        losses (dict): Name to its ordered loss terms (``loss_adv`` and
            ``loss_semi`` logged as ``loss_adv_<k>`` / ``loss_semi_<k>``,
            the others as ``gen_<k>.<term>``).
        semi (bool): Whether Algorithm 2 ran (``loss_semi_<k>`` is logged,
            0 when nothing was accepted).
        log_vars (dict): Receives the logged values.

    Returns:
        float: The generators' summed loss.
    """
    total = 0.
    for name in generators:
        k, terms = name[-1], losses[name]
        loss = sum_losses(terms)
        for key, value in terms.items():
            if key == 'loss_adv':
                log_vars[f'loss_adv_{k}'] = to_float(value)
            elif key != 'loss_semi':
                log_vars[f'gen_{k}.{key}'] = to_float(value)
        if semi:
            log_vars[f'loss_semi_{k}'] = to_float(terms.get('loss_semi', 0.))
        if isinstance(loss, Tensor) and loss.requires_grad:
            optim_wrapper[name].update_params(loss)
        log_vars[f'gen_{k}.loss'] = to_float(loss)
        total += to_float(loss)
    return total
