"""Load TaiChiNet's easy/hard lesion parts (Sec. IV-C, Eqs. 20-24).

``tools/misc/prepare_curriculum.py`` runs a trained U-Net++ teacher once per
dataset (or fold) and writes, for every training sample,
``<curriculum_dir>/<easy_subdir>/<sample_id>.png`` (``E_p``) and
``<curriculum_dir>/<hard_subdir>/<sample_id>.png`` (``H_p``).
:class:`LoadCurriculumMasks` reads them back into the pipeline.
"""
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmseg.registry import TRANSFORMS

CURRICULUM_FIX = ('run tools/misc/prepare_curriculum.py <unetpp-config> '
                  '--checkpoint ... --out <curriculum_dir>, or set '
                  'use_curriculum=False in the model config')


@TRANSFORMS.register_module()
class LoadCurriculumMasks(BaseTransform):
    """Read the easy part ``E_p`` and hard part ``H_p`` of a sample's lesion.

    Put it after ``LoadAnnotations`` and before geometric transforms: both
    keys are appended to ``results['seg_fields']``, so mmseg's ``Resize``,
    ``RandomFlip``, ``RandomRotate``, ``RandomCrop`` ... move them with
    ``gt_seg_map`` (nearest interpolation, 255 padding).

    Required keys: ``sample_id`` (a relative id such as
    ``'benign/benign (1)'``, may contain '/', spaces and parentheses; set by
    the bus_mm datasets), ``gt_seg_map``, ``seg_fields``.

    Added keys: ``gt_easy_part``, ``gt_hard_part`` (uint8 0/1, same H x W as
    ``gt_seg_map``); ``seg_fields`` gains both names.

    Args:
        curriculum_dir (str): Folder written by
            tools/misc/prepare_curriculum.py.
        easy_subdir (str): Sub-folder of the easy parts. Defaults to 'easy'.
        hard_subdir (str): Sub-folder of the hard parts. Defaults to 'hard'.
        allow_missing (bool): If True, a missing file gives an all-255
            (ignored) part, i.e. that image gets no easy/hard supervision;
            if False (default) it raises ``FileNotFoundError``.
        imdecode_backend (str): Image decoding backend. Defaults to
            'pillow', as mmseg's ``LoadAnnotations``.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 curriculum_dir: str,
                 easy_subdir: str = 'easy',
                 hard_subdir: str = 'hard',
                 allow_missing: bool = False,
                 imdecode_backend: str = 'pillow',
                 backend_args: Optional[dict] = None) -> None:
        if not curriculum_dir:
            raise ValueError('LoadCurriculumMasks: curriculum_dir is empty; '
                             + CURRICULUM_FIX)
        self.curriculum_dir = curriculum_dir
        self.easy_subdir = easy_subdir
        self.hard_subdir = hard_subdir
        self.allow_missing = allow_missing
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _path(self, subdir: str, sample_id: str) -> str:
        return osp.join(self.curriculum_dir, subdir, sample_id + '.png')

    def _load(self, path: str, shape: tuple, ref: str) -> np.ndarray:
        if not fileio.exists(path, backend_args=self.backend_args):
            if self.allow_missing:
                return np.full(shape, 255, dtype=np.uint8)
            raise FileNotFoundError(
                f'LoadCurriculumMasks: curriculum mask {path!r} does not '
                f'exist; {CURRICULUM_FIX}')
        img = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args),
            flag='unchanged',
            backend=self.imdecode_backend)
        if img is None:
            raise ValueError(f'LoadCurriculumMasks: cannot decode {path!r}; '
                             f'regenerate it ({CURRICULUM_FIX})')
        if img.ndim == 3:
            img = img.max(axis=2)
        if img.shape != tuple(shape):
            raise ValueError(
                f'LoadCurriculumMasks: {path!r} has size {img.shape} but the '
                f'ground truth {ref!r} has size {tuple(shape)}; the '
                'curriculum masks were made for other images: regenerate '
                f'them ({CURRICULUM_FIX})')
        return (img > 0).astype(np.uint8)

    def transform(self, results: dict) -> dict:
        """Add ``gt_easy_part`` and ``gt_hard_part`` to ``results``.

        Args:
            results (dict): Pipeline results with ``sample_id`` and
                ``gt_seg_map``.

        Returns:
            dict: ``results`` with both parts added.
        """
        sample_id = results.get('sample_id')
        if not sample_id:
            raise KeyError(
                'LoadCurriculumMasks needs results["sample_id"] (the relative '
                'id of the sample, e.g. "benign/benign (1)"), which the '
                'bus_mm datasets set; use one of them, or add sample_id in '
                f'your dataset (img_path={results.get("img_path")!r})')
        if 'gt_seg_map' not in results:
            raise KeyError('LoadCurriculumMasks needs results["gt_seg_map"]: '
                           'put it after LoadAnnotations in the pipeline')
        shape = results['gt_seg_map'].shape[:2]
        ref = results.get('seg_map_path', sample_id)
        for key, subdir in (('gt_easy_part', self.easy_subdir),
                            ('gt_hard_part', self.hard_subdir)):
            results[key] = self._load(
                self._path(subdir, sample_id), shape, ref)
            seg_fields = results.setdefault('seg_fields', [])
            if key not in seg_fields:
                seg_fields.append(key)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(curriculum_dir='
                f'{self.curriculum_dir!r}, easy_subdir={self.easy_subdir!r}, '
                f'hard_subdir={self.hard_subdir!r}, '
                f'allow_missing={self.allow_missing})')
