"""TaiChiNet: negative-positive cross-attention network (Wang et al., IEEE TMI, Sec. III-IV).

Two sub-U-Nets learn complementary targets: the *negative* path the
background ``G_n = 1 - G_p``, the *positive* path the lesion ``G_p``. They
interact three times:

1. C2-attention (:class:`~bus_mm.models.necks.C2Attention`) between the two
   bottlenecks (deep features), Eqs. (3), (6)-(9);
2. the complementary head (:class:`~bus_mm.models.heads.ComplementaryHead`)
   between the two 1-channel logits (shallow features), Eqs. (10)-(12);
3. the complementary loss (:class:`~bus_mm.models.losses.ComplementaryLoss`),
   Eq. (18).

Training adds the easy-to-hard curriculum of Sec. IV-C (Eqs. 20-22): in
stage 1 the lesion path is also supervised by the easy part ``E_p`` of each
lesion (``loss_easy``), in stage 2 by the hard part ``H_p`` (``loss_hard``)
and the complementary loss is switched on (``loss_comp``).
:class:`~bus_mm.engine.hooks.CurriculumHook` sets :attr:`TaiChiNet.stage`;
``E_p``/``H_p`` come from a U-Net++ teacher
(:func:`~bus_mm.models.segmentors.unet_plus_plus.curriculum_masks`) through
:class:`~bus_mm.datasets.transforms.LoadCurriculumMasks` and are packed as
``data_sample.gt_easy_part`` / ``data_sample.gt_hard_part``.

Part targets (``part_target``): read literally, Eqs. 21-22 label every lesion
pixel outside the part as background in the part term while the GT term
labels it lesion, so the optimum sits below 0.5 there (p = 0.44 outside a
31% easy part). ``part_target='masked'`` (default) ignores those pixels in
the part term, so the part only adds emphasis; ``'literal'`` keeps Eqs. 21-22
as printed. See :mod:`bus_mm.models.losses.curriculum_part_target`.

The sub-U-Net of each path and its parameter count (Table I):
:mod:`bus_mm.models.segmentors.taichinet_paths`.

Ablations (Table I-III): :mod:`bus_mm.models.segmentors.taichinet_ablations`.
"""
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from bus_mm.models.losses.curriculum_part_target import (
    check_part_target, curriculum_part_target)
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from .binary_segmentor import BinarySegmentorMixin, stack_gt
from .taichinet_ablations import (_SWITCHES, TAICHINET_ABLATIONS,
                                  ablation_switches, resolve_switches)
from .taichinet_paths import (SUB_UNET, build_sub_unet, decode, encode,
                              size_divisor)

__all__ = ['TaiChiNet', 'SUB_UNET', 'TAICHINET_ABLATIONS',
           'BinarySegmentorMixin', 'stack_gt']

CURRICULUM_HINT = (
    'run tools/misc/prepare_curriculum.py <unetpp-config> --checkpoint ... '
    '--out <curriculum_dir>, or set use_curriculum=False in the model config')


@MODELS.register_module()
class TaiChiNet(BinarySegmentorMixin, BaseSegmentor):
    """Negative-positive cross-attention network with curriculum learning.

    Args:
        backbone (dict): Config of each path's sub-U-Net; must build an mmseg
            ``UNet`` (or any module with ``encoder``/``decoder`` ModuleLists
            and ``base_channels``). Defaults to :data:`SUB_UNET`.
        neck (dict): C2-attention config; ``in_channels`` defaults to the
            bottleneck width. Defaults to ``dict(type='C2Attention')``.
        comp_head (dict): Complementary head config; ``variant`` and
            ``complement`` are set from ``head_variant`` and ``mutual``.
            Defaults to ``dict(type='ComplementaryHead')``.
        loss_seg (dict): Segmentation loss L_S (Dice + BCE, Eqs. 14-17) used
            for every target. Defaults to ``dict(type='DiceBCELoss')``.
        loss_comp (dict): Complementary loss L_C (Eq. 18); ``mode`` is set
            from ``mutual``. Defaults to ``dict(type='ComplementaryLoss')``.
        ablation (str): Preset of :data:`TAICHINET_ABLATIONS` that fills the
            switches left as ``None``. Defaults to 'taichinet'.
        use_negative_path (bool, optional): Build the negative (background)
            U-Net. ``False`` is Table I's Model 1.
        use_c2_attention (bool, optional): C2-attention at the bottleneck.
        use_comp_head (bool, optional): Complementary head on the logits.
        use_comp_loss (bool, optional): Complementary loss L_C (in stage 2
            only when the curriculum is on, always otherwise).
        use_curriculum (bool, optional): Easy-to-hard curriculum (needs
            ``gt_easy_part`` / ``gt_hard_part`` in the data samples).
        mutual (str, optional): 'complementary' (TaiChiNet) or 'consistent'
            (Table II: the negative path also learns the lesion).
        head_variant (str, optional): 'a', 'b' or 'c' (Table III, Fig. 10).
        easy_weight (float): Weight of the stage-1 term Dice+BCE(O_p, E_p).
            Defaults to 1.0.
        hard_weight (float): Weight of the stage-2 term Dice+BCE(O_p, H_p).
            Defaults to 1.0.
        part_target (str): Reading of the part term L_S(O_p, E_p) /
            L_S(O_p, H_p). 'masked' (default): GT-lesion pixels outside the
            part are ignored in the part term, so the part only adds
            emphasis and never contradicts L_S(O_p, G_p). 'literal':
            Eqs. 21-22 as printed, the part is a full 0/1 target and every
            lesion pixel outside it is pushed to background by the part
            term while the GT term pushes it to lesion (with free logits and
            E_p = 31% of the lesion the optimum is p = 0.44 there, below the
            0.5 threshold). See
            :mod:`bus_mm.models.losses.curriculum_part_target`.
        ignore_empty_parts (bool): If True, an image whose ``E_p`` (stage 1)
            or ``H_p`` (stage 2) is empty gets no part term. If False
            (default, the paper's Eqs. 21-22 as written) the empty part is
            a target too: its smoothed Dice term stays bounded
            (``S / (S + 1)``, see ``DiceBCELoss``) and, with BCE, pushes
            ``O_p`` towards background on that image (with 'masked', only
            on its background pixels: the lesion is ignored).
        stage (int): Initial curriculum stage (1 or 2); a
            ``CurriculumHook`` updates it during training. Defaults to 1.
        train_cfg (dict, optional): Unused, kept for the mmseg interface.
        test_cfg (dict, optional): ``mode`` ('whole' | 'slide', with
            ``crop_size``/``stride``), ``threshold`` (0.5) and
            ``predict_with`` ('positive' | 'negative' | 'mean'; default
            'mean' for two paths without a head, else 'positive').
        data_preprocessor (dict, optional): A ``SegDataPreProcessor`` config;
            ``mean=[0, 0, 0], std=[255, 255, 255]`` gives the paper's [0, 1]
            input range.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 backbone: ConfigType = SUB_UNET,
                 neck: ConfigType = dict(type='C2Attention'),
                 comp_head: ConfigType = dict(type='ComplementaryHead'),
                 loss_seg: ConfigType = dict(type='DiceBCELoss'),
                 loss_comp: ConfigType = dict(type='ComplementaryLoss'),
                 ablation: str = 'taichinet',
                 use_negative_path: Optional[bool] = None,
                 use_c2_attention: Optional[bool] = None,
                 use_comp_head: Optional[bool] = None,
                 use_comp_loss: Optional[bool] = None,
                 use_curriculum: Optional[bool] = None,
                 mutual: Optional[str] = None,
                 head_variant: Optional[str] = None,
                 easy_weight: float = 1.0,
                 hard_weight: float = 1.0,
                 part_target: str = 'masked',
                 ignore_empty_parts: bool = False,
                 stage: int = 1,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        switches = resolve_switches(
            ablation,
            use_negative_path=use_negative_path,
            use_c2_attention=use_c2_attention,
            use_comp_head=use_comp_head,
            use_comp_loss=use_comp_loss,
            use_curriculum=use_curriculum,
            mutual=mutual,
            head_variant=head_variant)
        for key in _SWITCHES:
            setattr(self, key, switches[key])
        self.ablation = ablation

        self.backbone_p = build_sub_unet(backbone)
        width = self.backbone_p.base_channels
        self.conv_seg_p = nn.Conv2d(width, 1, kernel_size=1)
        if self.use_negative_path:
            self.backbone_n = build_sub_unet(backbone)
            self.conv_seg_n = nn.Conv2d(width, 1, kernel_size=1)
        bottleneck = width * 2**(len(self.backbone_p.encoder) - 1)
        if self.use_c2_attention:
            neck = copy.deepcopy(dict(neck))
            neck.setdefault('in_channels', bottleneck)
            self.neck = MODELS.build(neck)
        if self.use_comp_head:
            comp_head = copy.deepcopy(dict(comp_head))
            comp_head.setdefault('variant', self.head_variant)
            comp_head.setdefault('complement',
                                 self.mutual == 'complementary')
            self.comp_head = MODELS.build(comp_head)
        self.loss_seg = MODELS.build(loss_seg)
        if self.use_comp_loss:
            loss_comp = copy.deepcopy(dict(loss_comp))
            loss_comp.setdefault('mode', self.mutual)
            self.loss_comp = MODELS.build(loss_comp)
        self.easy_weight = easy_weight
        self.hard_weight = hard_weight
        try:
            self.part_target = check_part_target(part_target)
        except ValueError as e:
            raise ValueError(f'TaiChiNet: {e}') from None
        self.ignore_empty_parts = ignore_empty_parts
        self.stage = stage

        self.size_divisor = size_divisor(self.backbone_p)
        self.align_corners = False
        self.num_classes = 2
        self.out_channels = 1
        self.train_cfg = train_cfg
        auto = 'mean' if (self.use_negative_path
                          and not self.use_comp_head) else 'positive'
        self.test_cfg = self._build_test_cfg(
            test_cfg, mode='whole', threshold=0.5, predict_with=auto)
        if self.test_cfg.predict_with not in ('positive', 'negative', 'mean'):
            raise ValueError('TaiChiNet: test_cfg.predict_with must be '
                             "'positive', 'negative' or 'mean', got "
                             f'{self.test_cfg.predict_with!r}')
        if (self.test_cfg.predict_with != 'positive'
                and not self.use_negative_path):
            raise ValueError('TaiChiNet: test_cfg.predict_with='
                             f'{self.test_cfg.predict_with!r} needs the '
                             'negative path (use_negative_path=True)')

    @classmethod
    def ablation_cfg(cls, name: str, **overrides) -> dict:
        """Model config of an ablation row, e.g. ``ablation_cfg('model3')``.

        Args:
            name (str): Key of :data:`TAICHINET_ABLATIONS`.
            **overrides: Other constructor arguments.

        Returns:
            dict: ``dict(type='TaiChiNet', ablation=name, **switches,
            **overrides)``.
        """
        cfg = dict(type=cls.__name__, ablation=name)
        cfg.update(ablation_switches(name))
        cfg.update(overrides)
        return cfg

    @property
    def stage(self) -> int:
        """Curriculum stage: 1 (easy parts) or 2 (hard parts + L_C)."""
        return self._stage

    @stage.setter
    def stage(self, value: int) -> None:
        if value not in (1, 2):
            raise ValueError(f'TaiChiNet.stage must be 1 or 2, got {value!r}')
        self._stage = int(value)

    # ------------------------------------------------------------------ #
    # network
    # ------------------------------------------------------------------ #
    def extract_feat(
            self,
            inputs: Tensor) -> Tuple[Optional[List[Tensor]], List[Tensor]]:
        """Encoder features of both paths, bottlenecks after C2-attention.

        Args:
            inputs (Tensor): Images (B, C, H, W), H and W divisible by
                ``size_divisor``.

        Returns:
            tuple: ``(enc_n, enc_p)``, lists of the encoder stages' outputs
            (``enc_n`` is ``None`` without the negative path); the last
            entries are ``F'_n`` and ``F'_p``.
        """
        enc_p = encode(self.backbone_p, inputs)
        enc_n = None
        if self.use_negative_path:
            enc_n = encode(self.backbone_n, inputs)
        if self.use_c2_attention:
            enc_n[-1], enc_p[-1] = self.neck(enc_n[-1], enc_p[-1])
        return enc_n, enc_p

    def forward_paths(self, inputs: Tensor) -> Dict[str, Tensor]:
        """Run both paths and the head.

        Args:
            inputs (Tensor): Images (B, C, H, W), any size (zero-padded to
                ``size_divisor`` internally, outputs cropped back).

        Returns:
            dict[str, Tensor]: (B, 1, H, W) logits ``pre_p``/``pre_n``
            (decoders, ``O'_p``/``O'_n``) and ``logit_p``/``logit_n`` (after
            the head, ``O_p``/``O_n``); the ``_n`` keys only with the
            negative path.
        """
        x, h, w = self._pad_to_divisor(inputs)
        enc_n, enc_p = self.extract_feat(x)
        outs = dict(pre_p=self.conv_seg_p(decode(self.backbone_p,
                                                       enc_p)))
        if self.use_negative_path:
            outs['pre_n'] = self.conv_seg_n(
                decode(self.backbone_n, enc_n))
        outs = {k: v[..., :h, :w] for k, v in outs.items()}
        if self.use_comp_head:
            outs['logit_n'], outs['logit_p'] = self.comp_head(
                outs['pre_n'], outs['pre_p'])
        else:
            outs['logit_p'] = outs['pre_p']
            if self.use_negative_path:
                outs['logit_n'] = outs['pre_n']
        return outs

    def lesion_logit(self, outs: Dict[str, Tensor]) -> Tensor:
        """The lesion logit used for prediction (``test_cfg.predict_with``).

        'positive': ``O_p``; 'negative': the lesion read from the negative
        path (``-O_n``, i.e. ``1 - sigmoid(O_n)``, or ``O_n`` for consistent
        mutual learning); 'mean': the logit of the average of both lesion
        probabilities (Model 2).
        """
        mode = self.test_cfg.predict_with
        if mode == 'positive':
            return outs['logit_p']
        neg = -outs['logit_n'] if self.mutual == 'complementary' \
            else outs['logit_n']
        if mode == 'negative':
            return neg
        prob = 0.5 * (outs['logit_p'].sigmoid() + neg.sigmoid())
        return torch.logit(prob, eps=1e-6)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Lesion logits (B, 1, H, W) at the input size."""
        return self.lesion_logit(self.forward_paths(inputs))

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Network forward ('tensor' mode): lesion logits (B, 1, H, W)."""
        return self.encode_decode(inputs, None)

    # ------------------------------------------------------------------ #
    # losses
    # ------------------------------------------------------------------ #
    def _part(self, data_samples: SampleList, key: str,
              size: Tuple[int, int]) -> Tensor:
        try:
            return stack_gt(data_samples, key, size)
        except KeyError:
            raise KeyError(
                f'TaiChiNet(use_curriculum=True) needs data_sample.{key} '
                f'(stage {self.stage}): add LoadCurriculumMasks(curriculum_'
                'dir=...) after LoadAnnotations and pack it with '
                f'PackBUSInputs; to create the masks {CURRICULUM_HINT}'
            ) from None

    def part_loss(self, logit_p: Tensor, part: Tensor, gt: Tensor) -> Tensor:
        """The curriculum part term of the current stage (Eqs. 21-22).

        ``weight * L_S(O_p, target)`` with the target of
        :func:`~bus_mm.models.losses.curriculum_part_target` for
        ``self.part_target``; ``weight`` is ``easy_weight`` in stage 1 and
        ``hard_weight`` in stage 2. With ``ignore_empty_parts`` an image
        whose part is empty is left out.

        Args:
            logit_p (Tensor): Lesion logits ``O_p``, (B, 1, H, W).
            part (Tensor): ``E_p`` (stage 1) or ``H_p`` (stage 2), 0/1 with
                255 where ignored, (B, 1, H, W).
            gt (Tensor): ``G_p``, 0/1 with 255 on padding, (B, 1, H, W).

        Returns:
            Tensor: Scalar loss.
        """
        ignore = getattr(self.loss_seg, 'ignore_index', 255)
        weight = self.easy_weight if self.stage == 1 else self.hard_weight
        target = curriculum_part_target(part, gt, self.part_target, ignore)
        if self.ignore_empty_parts:
            empty = ~(part == 1).flatten(1).any(1)
            target[empty] = ignore
        return weight * self.loss_seg(logit_p, target)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Training losses (Eqs. 13-22).

        Keys: ``loss_seg_p`` = L_S(O_p, G_p); ``loss_seg_n`` = L_S(O_n, G_n)
        (G_n = 1 - G_p; G_p for consistent mutual learning); with the
        curriculum ``loss_easy`` = L_S(O_p, E_p) in stage 1 and
        ``loss_hard`` = L_S(O_p, H_p) in stage 2 (targets per
        ``part_target``, see :meth:`part_loss`); ``loss_comp`` = L_C(O_n,
        O_p) in stage 2 (always without curriculum) when enabled. Pixels
        with the ignore index 255 (padding) are excluded everywhere.

        Args:
            inputs (Tensor): Images (B, C, H, W).
            data_samples (list[:obj:`SegDataSample`]): With ``gt_sem_seg``
                (0/1) and, for the curriculum, ``gt_easy_part`` and
                ``gt_hard_part``.

        Returns:
            dict[str, Tensor]: Loss items.
        """
        outs = self.forward_paths(inputs)
        size = tuple(outs['logit_p'].shape[-2:])
        gt = stack_gt(data_samples, 'gt_sem_seg', size)
        ignore = self.loss_seg.ignore_index if hasattr(
            self.loss_seg, 'ignore_index') else 255
        valid = gt != ignore
        losses = dict(loss_seg_p=self.loss_seg(outs['logit_p'], gt))
        if self.use_negative_path:
            gt_n = gt if self.mutual == 'consistent' else torch.where(
                valid, 1 - gt, gt)
            losses['loss_seg_n'] = self.loss_seg(outs['logit_n'], gt_n)
        if self.use_curriculum:
            key, name = (('gt_easy_part', 'loss_easy') if self.stage == 1
                         else ('gt_hard_part', 'loss_hard'))
            part = self._part(data_samples, key, size)
            losses[name] = self.part_loss(outs['logit_p'], part, gt)
        if self.use_comp_loss and (not self.use_curriculum
                                   or self.stage == 2):
            losses['loss_comp'] = self.loss_comp(
                outs['logit_n'], outs['logit_p'], valid_mask=valid)
        return losses
