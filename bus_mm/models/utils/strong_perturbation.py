"""Strong perturbations of a batch of grey ultrasound images (weak-to-strong
consistency, as in FixMatch and UniMatch).

A teacher predicts on the weakly augmented image (the training pipeline's
resize and flip); the student learns that prediction on a strongly
perturbed copy. :class:`StrongPerturbation` makes that copy on the batch
tensor after the data preprocessor, so it costs no data-loading time and
needs no change to the pipelines:

* intensity: brightness and contrast jitter and a gamma curve (the gain and
  dynamic range settings of an ultrasound scanner);
* blur: a Gaussian blur (a lower-resolution probe or depth);
* speckle: multiplicative Gaussian noise (the granular texture of B-mode
  images);
* CutMix: a random box of another image of the batch is pasted in; the
  pseudo-labels (and their weights) are mixed with the same box.

Intensity, blur and speckle act on the image in [0, 1] (the preprocessor's
mean and std are undone first and redone after), so their strength does not
depend on the normalisation.
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS


def _check_prob(name: str, value: float) -> float:
    value = float(value)
    if not 0. <= value <= 1.:
        raise ValueError(f'StrongPerturbation: {name} is a probability and '
                         f'must lie in [0, 1], got {value}.')
    return value


def _check_range(name: str, value: Sequence[float], low: float,
                 high: float) -> Tuple[float, float]:
    if len(value) != 2 or not low <= value[0] <= value[1] <= high:
        raise ValueError(f'StrongPerturbation: {name} must be a pair '
                         f'(min, max) with {low} <= min <= max <= {high}, '
                         f'got {tuple(value)}.')
    return float(value[0]), float(value[1])


@MODELS.register_module()
class StrongPerturbation:
    """Strong view of a preprocessed batch, with CutMix of its pseudo-labels.

    Args:
        intensity_prob (float): Probability per image of the brightness,
            contrast and gamma jitter. Defaults to 0.8.
        brightness (float): Maximum additive shift of the [0, 1] image.
            Defaults to 0.2.
        contrast (float): Maximum relative change of the contrast around the
            image mean. Defaults to 0.3.
        gamma (tuple[float]): Range of the gamma exponent. Defaults to
            (0.6, 1.6).
        blur_prob (float): Probability per image of a Gaussian blur.
            Defaults to 0.3.
        blur_sigma (tuple[float]): Range of the blur's sigma in pixels.
            Defaults to (0.3, 1.5).
        speckle_prob (float): Probability per image of speckle noise.
            Defaults to 0.5.
        speckle_std (float): Std of the multiplicative noise ``1 + n``.
            Defaults to 0.2.
        cutmix_prob (float): Probability per image that a box of another
            image of the batch is pasted in. Defaults to 0.5.
        cutmix_area (tuple[float]): Range of the box's share of the image.
            Defaults to (0.1, 0.5).
    """

    def __init__(self,
                 intensity_prob: float = 0.8,
                 brightness: float = 0.2,
                 contrast: float = 0.3,
                 gamma: Sequence[float] = (0.6, 1.6),
                 blur_prob: float = 0.3,
                 blur_sigma: Sequence[float] = (0.3, 1.5),
                 speckle_prob: float = 0.5,
                 speckle_std: float = 0.2,
                 cutmix_prob: float = 0.5,
                 cutmix_area: Sequence[float] = (0.1, 0.5)) -> None:
        self.intensity_prob = _check_prob('intensity_prob', intensity_prob)
        self.blur_prob = _check_prob('blur_prob', blur_prob)
        self.speckle_prob = _check_prob('speckle_prob', speckle_prob)
        self.cutmix_prob = _check_prob('cutmix_prob', cutmix_prob)
        for name, value in (('brightness', brightness),
                            ('contrast', contrast)):
            if not 0. <= float(value) <= 1.:
                raise ValueError(f'StrongPerturbation: {name} must lie in '
                                 f'[0, 1], got {value}.')
        if not 0. <= float(speckle_std) <= 1.:
            raise ValueError('StrongPerturbation: speckle_std must lie in '
                             f'[0, 1], got {speckle_std}.')
        self.brightness = float(brightness)
        self.contrast = float(contrast)
        self.speckle_std = float(speckle_std)
        self.gamma = _check_range('gamma', gamma, 0.1, 10.)
        self.blur_sigma = _check_range('blur_sigma', blur_sigma, 0.01, 10.)
        self.cutmix_area = _check_range('cutmix_area', cutmix_area, 0., 1.)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(intensity_prob='
                f'{self.intensity_prob}, blur_prob={self.blur_prob}, '
                f'speckle_prob={self.speckle_prob}, cutmix_prob='
                f'{self.cutmix_prob})')

    # -- image-only perturbations in [0, 1] -------------------------------
    def _pick(self, n: int, prob: float, device) -> Tensor:
        return (torch.rand(n, device=device) < prob).view(n, 1, 1, 1)

    def _intensity(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        pick = self._pick(n, self.intensity_prob, x.device)
        u = torch.rand(n, 3, device=x.device)
        shift = (2 * u[:, 0] - 1) * self.brightness
        scale = 1 + (2 * u[:, 1] - 1) * self.contrast
        lo, hi = self.gamma
        gamma = torch.exp(math.log(lo) + u[:, 2] * (math.log(hi) -
                                                    math.log(lo)))
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        y = (x - mean) * scale.view(n, 1, 1, 1) + mean + shift.view(n, 1, 1,
                                                                    1)
        y = y.clamp(0, 1).pow(gamma.view(n, 1, 1, 1))
        return torch.where(pick, y, x)

    def _blur(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        pick = self._pick(n, self.blur_prob, x.device)
        lo, hi = self.blur_sigma
        sigma = lo + torch.rand(n, device=x.device) * (hi - lo)
        radius = int(math.ceil(3 * hi))
        offs = torch.arange(-radius, radius + 1, device=x.device,
                            dtype=x.dtype)
        kernel = torch.exp(-offs.view(1, -1)**2 /
                           (2 * sigma.view(-1, 1)**2))
        kernel = kernel / kernel.sum(dim=1, keepdim=True)  # (n, k)
        c = x.shape[1]
        # separable blur with one kernel per image (grouped convolution)
        y = x.reshape(1, n * c, *x.shape[-2:])
        kh = kernel.repeat_interleave(c, 0).view(n * c, 1, -1, 1)
        kw = kernel.repeat_interleave(c, 0).view(n * c, 1, 1, -1)
        y = F.pad(y, (0, 0, radius, radius), mode='replicate')
        y = F.conv2d(y, kh, groups=n * c)
        y = F.pad(y, (radius, radius, 0, 0), mode='replicate')
        y = F.conv2d(y, kw, groups=n * c).view_as(x)
        return torch.where(pick, y, x)

    def _speckle(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        pick = self._pick(n, self.speckle_prob, x.device)
        # one noise field shared by the channels of a grey image
        noise = torch.randn(n, 1, *x.shape[-2:], device=x.device,
                            dtype=x.dtype)
        y = (x * (1 + self.speckle_std * noise)).clamp(0, 1)
        return torch.where(pick, y, x)

    # -- CutMix -------------------------------------------------------------
    def cutmix_boxes(self, n: int, size: Sequence[int],
                     device) -> Tuple[Tensor, Tensor]:
        """Which image lends a box to which, and the boxes as masks.

        Returns:
            tuple[Tensor, Tensor]: ``source`` (n,) index of the image whose
            box is pasted into each image (itself when no box), and
            ``box`` (n, 1, H, W) bool, True inside the pasted box.
        """
        h, w = size
        box = torch.zeros(n, 1, h, w, dtype=torch.bool, device=device)
        if n < 2:
            return torch.arange(n, device=device), box
        source = (torch.arange(n, device=device) +
                  torch.randint(1, n, (n, ), device=device)) % n
        pick = torch.rand(n, device=device) < self.cutmix_prob
        lo, hi = self.cutmix_area
        area = lo + torch.rand(n, device=device) * (hi - lo)
        ratio = torch.exp((torch.rand(n, device=device) - 0.5) * math.log(3))
        bh = (torch.sqrt(area * ratio) * h).round().clamp(1, h).long()
        bw = (torch.sqrt(area / ratio) * w).round().clamp(1, w).long()
        top = (torch.rand(n, device=device) * (h - bh + 1)).long()
        left = (torch.rand(n, device=device) * (w - bw + 1)).long()
        for i in range(n):
            if pick[i]:
                box[i, :, top[i]:top[i] + bh[i], left[i]:left[i] + bw[i]] = 1
        source = torch.where(pick, source, torch.arange(n, device=device))
        return source, box

    @staticmethod
    def mix(value: Tensor, source: Tensor, box: Tensor) -> Tensor:
        """Paste ``value[source]`` into ``value`` inside ``box`` (any
        (n, C, H, W) tensor: images, labels or per-pixel weights)."""
        return torch.where(box, value[source], value)

    def __call__(self, inputs: Tensor, mean: Optional[Tensor] = None,
                 std: Optional[Tensor] = None
                 ) -> Tuple[Tensor, Tensor, Tensor]:
        """The strong view of a batch.

        Args:
            inputs (Tensor): (N, C, H, W) preprocessed images.
            mean (Tensor, optional): The preprocessor's per-channel mean
                (on the 0-255 scale); None: ``inputs`` are in [0, 255].
            std (Tensor, optional): The preprocessor's per-channel std.

        Returns:
            tuple[Tensor, Tensor, Tensor]: the perturbed batch (same
            normalisation as ``inputs``), and the CutMix ``source`` and
            ``box`` for :meth:`mix` of the pseudo-labels and weights.
        """
        x = inputs.detach().float()
        c = x.shape[1]
        mean = torch.zeros(1, c, 1, 1, device=x.device) if mean is None \
            else mean.detach().float().view(1, -1, 1, 1)
        std = torch.ones(1, c, 1, 1, device=x.device) if std is None \
            else std.detach().float().view(1, -1, 1, 1)
        x01 = ((x * std + mean) / 255.).clamp(0, 1)
        x01 = self._speckle(self._blur(self._intensity(x01)))
        y = (x01 * 255. - mean) / std
        source, box = self.cutmix_boxes(len(y), y.shape[-2:], y.device)
        y = self.mix(y, source, box)
        return y.to(inputs.dtype), source, box
