"""Build a trained bus_mm segmentor and segment images with it, like
``mmseg.apis`` but for every bus_mm model (ASSGAN, TaiChiNet, U-Net++ and
plain mmseg ``EncoderDecoder`` configs)."""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample

from ..engine.fast_path import apply_fast_path

ImageType = Union[str, np.ndarray]

#: Pipeline steps that read ground truth; left out when segmenting new images.
ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadBUSAnnotations',
                      'LoadCurriculumMasks')


def build_inference_pipeline(cfg: Config, from_array: bool = False) -> Compose:
    """The config's test pipeline without its annotation loaders.

    Args:
        cfg (Config): A model config with a top-level ``test_pipeline`` (or
            a ``test_dataloader.dataset.pipeline``).
        from_array (bool): Drop the leading image loader as well, for images
            given as arrays rather than files.

    Returns:
        Compose: The pipeline; it takes ``dict(img_path=...)`` (or
        ``dict(img=..., img_shape=..., ori_shape=...)`` with ``from_array``).

    Raises:
        ValueError: ``from_array`` is asked for but the pipeline does not
            start with an image loader.
    """
    pipeline = cfg.get('test_pipeline') or \
        cfg.test_dataloader.dataset.pipeline
    steps = [copy.deepcopy(t) for t in pipeline
             if t['type'] not in ANNOTATION_LOADERS]
    if from_array:
        if not steps or not str(steps[0]['type']).startswith('Load'):
            raise ValueError('the test pipeline does not start with an image '
                             f'loader ({steps[0]["type"] if steps else "empty"}'
                             '); give image files instead of arrays')
        steps = steps[1:]
    return Compose(steps)


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Optional[str] = None,
               cfg_options: Optional[dict] = None,
               strict: bool = False,
               amp: Union[bool, str, None] = None,
               amp_dtype: Optional[str] = None,
               channels_last: Union[bool, str, None] = None) -> nn.Module:
    """Build a segmentor from a config and load its checkpoint, for inference.

    Unlike ``mmseg.apis.init_model`` this does not pass ``pretrained=None``,
    which bus_mm's own segmentors (ASSGAN, TaiChiNet, UNetPlusPlus) do not
    take, so it works for every bus_mm config.

    Args:
        config (str | Config): Config file path or a loaded config (copied,
            never changed).
        checkpoint (str, optional): Checkpoint to load (onto the CPU first).
            None keeps the freshly built (random) weights.
        device (str, optional): 'cpu' or 'cuda[:N]'. Defaults to 'cuda' when
            available, else 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        strict (bool): Refuse checkpoints whose keys differ from the model's.
            Defaults to False.
        amp (bool | str, optional): Predict under autocast (``--amp``; any
            value :func:`bus_mm.engine.fast_path.apply_fast_path` takes);
            None: the config's ``amp`` key decides.
        amp_dtype (str, optional): Autocast dtype (``--amp-dtype``).
        channels_last (bool | str, optional): NHWC weights
            (``--channels-last``, as ``amp``); None: the config's
            ``channels_last`` key decides. Resolved for inference
            (``train=False``).

    Returns:
        nn.Module: The model in eval mode on ``device``, with ``cfg`` (the
        config used), ``dataset_meta`` (from the checkpoint, or None) and
        ``autocast_dtype`` (dtype name or None) set; :func:`inference_model`
        uses them.
    """
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    if isinstance(config, str):
        cfg = Config.fromfile(config)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    import bus_mm  # noqa: F401  (registers the bus_mm modules)
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    cfg.model.pop('pretrained', None)
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model)
    meta = None
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu',
                               strict=strict, logger='silent')
        meta = ckpt.get('meta', {}).get('dataset_meta')
    model.dataset_meta = meta
    model.cfg = cfg
    model = model.to(device).eval()
    fast = apply_fast_path(cfg, amp, amp_dtype, channels_last, train=False)
    if fast['channels_last']:
        model.to(memory_format=torch.channels_last)
    model.autocast_dtype = fast['amp']
    return model


def _as_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return np.repeat(img[..., None], 3, axis=2)
    if img.ndim == 3 and img.shape[2] == 1:
        return np.repeat(img, 3, axis=2)
    if img.ndim == 3 and img.shape[2] == 3:
        return img
    raise ValueError(f'expected an HxW or HxWx3 image array, got shape '
                     f'{img.shape}')


@torch.no_grad()
def inference_model(
    model: nn.Module, img: Union[ImageType, Sequence[ImageType]]
) -> Union[SegDataSample, List[SegDataSample]]:
    """Segment one image or a batch of images with a model of
    :func:`init_model`.

    The images go through the config's test pipeline without its annotation
    loaders, as one batch; under the model's ``autocast_dtype`` when set.

    Args:
        model (nn.Module): A model built by :func:`init_model`.
        img (str | np.ndarray | Sequence): An image file, an image array
            (HxW or HxWx3, BGR as OpenCV reads it), or a list of either.

    Returns:
        SegDataSample | list[SegDataSample]: The prediction(s), one per
        image; ``pred_sem_seg.data[0]`` is the 0/1 lesion mask at the image's
        own size (float32 or int64 as the model gives it, never a
        half-precision type). A list when ``img`` is a list or tuple.
    """
    single = not isinstance(img, (list, tuple))
    imgs = [img] if single else list(img)
    if not imgs:
        return []
    data: List[dict] = []
    pipelines = {}
    for im in imgs:
        from_array = isinstance(im, np.ndarray)
        if from_array not in pipelines:
            pipelines[from_array] = build_inference_pipeline(
                model.cfg, from_array)
        if from_array:
            im = _as_bgr(im)
            item = dict(img=im, img_shape=im.shape[:2],
                        ori_shape=im.shape[:2], img_path='', labeled=False)
        else:
            item = dict(img_path=im, labeled=False)
        data.append(pipelines[from_array](item))
    batch = pseudo_collate(data)
    dtype = getattr(model, 'autocast_dtype', None)
    device_type = next(model.parameters()).device.type
    with torch.autocast(device_type, dtype=getattr(torch, dtype or 'float32'),
                        enabled=dtype is not None):
        results = model.test_step(batch)
    if dtype is not None:
        for result in results:
            _to_float32(result)
    return results[0] if single else results


def _to_float32(result: SegDataSample) -> None:
    """Half-precision prediction fields (a binary segmentor's mask follows its
    logits' dtype) back to float32, as an fp32 run returns them: numpy has no
    bfloat16."""
    for key in ('pred_sem_seg', 'seg_logits'):
        if key in result:
            field = getattr(result, key)
            if field.data.dtype in (torch.bfloat16, torch.float16):
                field.data = field.data.float()
