"""bus_mm.apis: config loading and init_model / inference_model for every
kind of bus_mm segmentor (random weights, saved and loaded back)."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from bus_mm.apis import (build_inference_pipeline, inference_model,
                         init_model, load_config)

from .conftest import REPO

SEGMENTORS = [
    ('EncoderDecoder', 'configs/demo/unet_phantom-demo.py', {}),
    ('ASSGAN', 'configs/assgan/assgan_phantom-demo.py', {}),
    ('TaiChiNet', 'configs/taichinet/taichinet_phantom-demo.py',
     {'model.backbone.base_channels': 4}),
    ('UNetPlusPlus', 'configs/taichinet/unetpp_phantom-demo.py',
     {'model.channels': [4, 8, 16, 32, 64]}),
]


def test_load_config_overrides_and_errors(tmp_path):
    cfg = load_config(osp.join(REPO, 'configs/demo/unet_phantom-demo.py'),
                      {'train_cfg.max_iters': 3},
                      data_root=str(tmp_path))
    assert cfg.train_cfg.max_iters == 3
    assert cfg.work_dir == './work_dirs/unet_phantom-demo'
    assert cfg.test_dataloader.dataset.data_root == str(tmp_path)
    with pytest.raises(SystemExit, match='config file not found'):
        load_config(str(tmp_path / 'nope.py'))
    with pytest.raises(SystemExit, match='is not a folder'):
        load_config(osp.join(REPO, 'configs/demo/unet_phantom-demo.py'),
                    data_root=str(tmp_path / 'missing'))


@pytest.mark.parametrize('kind,config,options', SEGMENTORS,
                         ids=[s[0] for s in SEGMENTORS])
def test_init_model_and_inference_model(kind, config, options, tmp_path):
    config = osp.join(REPO, config)
    torch.manual_seed(0)
    fresh = init_model(config, device='cpu', cfg_options=options)
    assert type(fresh).__name__ == kind and not fresh.training
    ckpt = str(tmp_path / 'random.pth')
    meta = dict(dataset_meta=dict(classes=['background', 'lesion']))
    torch.save(dict(state_dict=fresh.state_dict(), meta=meta), ckpt)
    model = init_model(config, ckpt, 'cpu', options, strict=True)
    assert model.dataset_meta == meta['dataset_meta']
    assert model.cfg.model.train_cfg is None

    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 70, 3), dtype=np.uint8)
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, img)
    from_file = inference_model(model, path)
    mask = from_file.pred_sem_seg.data[0]
    assert tuple(mask.shape) == (90, 70)
    assert set(mask.unique().tolist()) <= {0, 1}
    # an array (also grey) gives the file's prediction; lists give lists
    both = inference_model(model, [img, img[..., 0:1].repeat(3, 2)])
    assert isinstance(both, list) and len(both) == 2
    torch.testing.assert_close(both[0].pred_sem_seg.data, mask.unsqueeze(0))
    grey = inference_model(model, img[..., 0])
    torch.testing.assert_close(grey.pred_sem_seg.data,
                               both[1].pred_sem_seg.data)
    # the same weights as the freshly built model
    ref = inference_model(fresh, path)
    torch.testing.assert_close(ref.pred_sem_seg.data,
                               from_file.pred_sem_seg.data)


def test_inference_pipeline_drops_annotation_loaders():
    cfg = load_config(osp.join(REPO, 'configs/demo/unet_phantom-demo.py'))
    names = [type(t).__name__
             for t in build_inference_pipeline(cfg).transforms]
    assert names == ['LoadBUSImageFromFile', 'Resize', 'PackBUSInputs']
    names = [type(t).__name__
             for t in build_inference_pipeline(cfg, True).transforms]
    assert names == ['Resize', 'PackBUSInputs']


def test_inference_under_bf16_autocast_gives_fp32_fields(tmp_path):
    """--amp on a CPU: predictions in bf16 would not convert to numpy (the
    binary segmentor's mask follows its logits' dtype)."""
    from bus_mm.engine.optimizers.autocast_optim_wrapper import \
        cpu_supports_bf16
    if not cpu_supports_bf16():
        pytest.skip('this CPU has no native bf16')
    config = osp.join(REPO, 'configs/demo/unet_phantom-demo.py')
    model = init_model(config, device='cpu', amp=True, channels_last=True)
    assert model.autocast_dtype == 'bfloat16'
    img = np.random.default_rng(0).integers(0, 255, (40, 50, 3), np.uint8)
    result = inference_model(model, img)
    for field in (result.pred_sem_seg, result.seg_logits):
        assert field.data.dtype in (torch.float32, torch.int64)
    mask = result.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
    assert mask.shape == (40, 50) and set(np.unique(mask)) <= {0, 1}
