"""Tests of the U-Net++ curriculum teacher and curriculum_masks (Eq. 23-24)."""
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData

from bus_mm.models.segmentors.unet_plus_plus import (UNetPlusPlus,
                                                     curriculum_masks)
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample



def squares(batch=2, size=16):
    g = torch.Generator().manual_seed(0)
    inputs = 0.2 * torch.rand(batch, 3, size, size, generator=g)
    samples = []
    for i in range(batch):
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[:, 3 + i:11 + i, 4:12] = 1
        inputs[i, :, 3 + i:11 + i, 4:12] += 0.7
        s = SegDataSample(metainfo=dict(img_shape=(size, size),
                                        ori_shape=(size, size)))
        s.gt_sem_seg = PixelData(data=gt)
        samples.append(s)
    return inputs, samples


def test_default_shapes_levels_and_predict():
    model = MODELS.build(dict(type='UNetPlusPlus'))
    assert isinstance(model, UNetPlusPlus)
    assert model.depth == 4 and len(model.conv_seg) == 4
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    probs = model.predict_levels(x)
    assert probs.shape == (2, 4, 64, 64)
    assert probs.min() >= 0 and probs.max() <= 1
    with torch.no_grad():
        out = model.predict(x)
        logits = model.forward_levels(x)
    pred = out[0].pred_sem_seg.data
    assert pred.shape == (1, 64, 64) and set(pred.unique().tolist()) <= {0, 1}
    # level 4 by default
    torch.testing.assert_close(out[0].seg_logits.data, logits[0, 3:4])


def test_nested_dense_skips():
    model = UNetPlusPlus(channels=(4, 8, 16))
    # X[0][2] reads X[0][0], X[0][1] and up(X[1][1]): 2 * 4 + 8 channels
    assert model.nodes['x0_2'].convs[0].conv.in_channels == 2 * 4 + 8
    assert model.nodes['x1_1'].convs[0].conv.in_channels == 8 + 16
    assert set(model.nodes) == {'x0_0', 'x1_0', 'x2_0', 'x0_1', 'x1_1',
                                'x0_2'}


def test_test_cfg_level_and_any_input_size():
    model = UNetPlusPlus(channels=(4, 8, 16), test_cfg=dict(level=1))
    model.eval()
    x = torch.randn(1, 3, 18, 22)  # padded to /4 internally
    with torch.no_grad():
        logits = model.forward_levels(x)
        assert logits.shape == (1, 2, 18, 22)
        torch.testing.assert_close(model.encode_decode(x, None),
                                   logits[:, :1])
        assert model.predict(x)[0].pred_sem_seg.data.shape == (1, 18, 22)
    with pytest.raises(ValueError, match='level'):
        UNetPlusPlus(channels=(4, 8, 16), test_cfg=dict(level=3))
    with pytest.raises(ValueError, match='level_weights'):
        UNetPlusPlus(channels=(4, 8, 16), level_weights=[1.0])


def test_deep_supervision_loss_and_gradients():
    model = UNetPlusPlus(channels=(4, 8, 16, 32, 64))
    inputs, samples = squares()
    losses = model.loss(inputs, samples)
    assert set(losses) == {f'loss_level{k}' for k in range(1, 5)}
    # each level is weighted 1/4: the sum is the mean of the levels
    logits = model.forward_levels(inputs)
    gt = torch.stack([s.gt_sem_seg.data for s in samples])
    level2 = model.loss_decode(logits[:, 1:2], gt)
    assert losses['loss_level2'].item() == pytest.approx(
        level2.item() / 4, rel=1e-4)
    sum(losses.values()).backward()
    for head in model.conv_seg:
        assert head.weight.grad.abs().sum() > 0


def test_loss_falls_with_adam_via_train_step():
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = UNetPlusPlus(
            channels=(8, 16, 32),
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[0, 0, 0],
                std=[1, 1, 1],
                size=(16, 16)))
    inputs, samples = squares()
    data = dict(inputs=list(inputs), data_samples=samples)
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=3e-3))
    history = [model.train_step(data, optim)['loss'].item()
               for _ in range(30)]
    assert history[-1] < 0.7 * history[0], history


def test_curriculum_masks_hand_example_numpy():
    gt = np.array([[1, 1, 1, 0],
                   [1, 1, 0, 0]])
    level1 = np.array([[0.9, 0.2, 0.1, 0.9],
                       [0.6, 0.1, 0.1, 0.1]])
    level4 = np.array([[0.9, 0.8, 0.1, 0.9],
                       [0.9, 0.7, 0.9, 0.1]])
    probs = np.stack([level1, level1, level4, level4])  # (4, H, W)
    easy, hard = curriculum_masks(probs, gt)
    np.testing.assert_array_equal(easy, [[1, 0, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(hard, [[0, 1, 0, 0], [0, 1, 0, 0]])
    assert easy.dtype == hard.dtype == np.uint8


def test_curriculum_masks_properties_torch():
    g = torch.Generator().manual_seed(1)
    probs = torch.rand(3, 4, 20, 20, generator=g)
    gt = (torch.rand(3, 20, 20, generator=g) > 0.5).long()
    gt[0, 0, :5] = 255  # padding is not lesion
    easy, hard = curriculum_masks(probs, gt, thr=0.4)
    assert easy.dtype == torch.uint8 and easy.shape == gt.shape
    lesion = gt == 1
    assert not (easy.bool() & ~lesion).any()  # E_p subset of GT
    assert not (hard.bool() & ~lesion).any()  # H_p subset of GT
    assert not (easy.bool() & hard.bool()).any()  # disjoint
    assert easy.sum() > 0 and hard.sum() > 0
    expected_easy = (probs[:, 0] > 0.4) & lesion
    torch.testing.assert_close(easy.bool(), expected_easy)
    with pytest.raises(ValueError, match='differ'):
        curriculum_masks(probs, gt[..., :10])
