"""What the discriminator D sees of a mask, the same for real and fake.

Ground truth (real) and generator predictions (fake) go through one
:class:`MaskView`, so D can only tell them apart by their shape and by how
they fit the image, never by their value range: with ``binarize`` a
prediction is thresholded like the pseudo-label it would become (a
straight-through gradient keeps L_adv flowing to the generator); with
``with_image`` the image is shown beside the mask (s4GAN's conditioning).
The paper feeds D the soft sigmoid map alone (``binarize=False,
with_image=False``), which lets D learn "is the background exactly 0?".
"""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor


class _StraightThrough(torch.autograd.Function):
    """Forward: the 0/1 mask ``prob > threshold``; backward: the gradient
    passes unchanged."""

    @staticmethod
    def forward(ctx, prob: Tensor, threshold: float) -> Tensor:
        return (prob > threshold).to(prob.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return grad, None


class MaskView:
    """D's input for a (N, 1, H, W) mask.

    Args:
        binarize (bool): Threshold predictions at the generator's threshold
            (straight-through gradient). Defaults to True.
        with_image (bool): Concatenate the image before the mask; D's
            ``in_channels`` must then be the image channels + 1. Defaults
            to True.
    """

    def __init__(self, binarize: bool = True, with_image: bool = True):
        self.binarize = bool(binarize)
        self.with_image = bool(with_image)

    def __repr__(self) -> str:
        return (f'MaskView(binarize={self.binarize}, '
                f'with_image={self.with_image})')

    def check(self, discriminator: nn.Module,
              image_channels: Optional[int] = None) -> None:
        """Refuse a D whose ``in_channels`` does not fit this view (the
        image channels are checked once they are known)."""
        got = getattr(discriminator, 'in_channels', None)
        if got is None:
            return
        if not self.with_image:
            ok, need = got == 1, 1
        elif image_channels is None:
            ok, need = got >= 2, 'image channels + 1'
        else:
            ok, need = got == image_channels + 1, image_channels + 1
        if not ok:
            raise ValueError(
                f'ASSGAN: semi_train_cfg.d_input.with_image={self.with_image}'
                f' feeds D {need} channel(s); set model.discriminator.'
                f'in_channels={need} (got {got}).')

    def __call__(self, mask: Tensor, image: Optional[Tensor],
                 threshold: float = 0.5) -> Tensor:
        """D's input for a 0/1 ground truth or a lesion probability map."""
        if self.binarize:
            mask = _StraightThrough.apply(mask, threshold)
        if not self.with_image:
            return mask
        return torch.cat([image.detach().to(mask.dtype), mask], dim=1)

    @torch.no_grad()
    def score(self, discriminator: nn.Module, prob: Tensor,
              image: Optional[Tensor], threshold: float = 0.5,
              d_logits: Optional[Tensor] = None) -> Tensor:
        """(N,) D's mean sigmoid patch score of each prediction (the
        paper's image-level score); ``d_logits``: D's output on exactly
        these inputs when already computed."""
        if d_logits is None:
            d_logits = discriminator(self(prob.detach().float(), image,
                                          threshold))
        return d_logits.detach().float().sigmoid().mean((1, 2, 3))
