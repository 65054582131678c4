"""Tests of the TaiChiNet segmentor (Wang et al., IEEE TMI, Sec. III-IV, Tables I-III)."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData

from bus_mm.models.segmentors.taichinet import (SUB_UNET, TAICHINET_ABLATIONS,
                                                TaiChiNet)
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample



def n_params(module):
    return sum(p.numel() for p in module.parameters())


def tiny_backbone(base=4, stages=3):
    cfg = copy.deepcopy(SUB_UNET)
    cfg.update(
        base_channels=base,
        num_stages=stages,
        strides=(1, ) * stages,
        enc_num_convs=(2, ) * stages,
        dec_num_convs=(2, ) * (stages - 1),
        downsamples=(True, ) * (stages - 1),
        enc_dilations=(1, ) * stages,
        dec_dilations=(1, ) * (stages - 1))
    return cfg


def tiny(**kwargs):
    kwargs.setdefault('backbone', tiny_backbone())
    return TaiChiNet(**kwargs)


def synthetic_batch(batch=2, size=16, seed=0):
    """Bright squares on dark noise; easy part = square core, hard = rim."""
    g = torch.Generator().manual_seed(seed)
    inputs = 0.2 * torch.rand(batch, 3, size, size, generator=g)
    samples = []
    for i in range(batch):
        y, x = 2 + 3 * i, 3 + 2 * i
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[:, y:y + 8, x:x + 8] = 1
        easy = torch.zeros_like(gt)
        easy[:, y + 2:y + 6, x + 2:x + 6] = 1
        hard = gt - easy
        inputs[i, :, y:y + 8, x:x + 8] += 0.7
        s = SegDataSample(
            metainfo=dict(
                img_shape=(size, size), ori_shape=(size, size),
                pad_shape=(size, size), padding_size=[0, 0, 0, 0]))
        s.gt_sem_seg = PixelData(data=gt)
        s.gt_easy_part = PixelData(data=easy)
        s.gt_hard_part = PixelData(data=hard)
        samples.append(s)
    return inputs, samples


# --------------------------------------------------------------------- #
# Table I parameter counts (default sub-U-Net 32-64-128-256-512)
# --------------------------------------------------------------------- #
@pytest.mark.parametrize('name,paper', [
    ('model1', 8.64e6),
    ('model2', 17.28e6),
    ('model4', 18.33e6),
    ('model5', 17.28e6),
    ('model7', 18.33e6),
    ('taichinet', 18.33e6),
])
def test_table1_parameter_counts(name, paper):
    model = MODELS.build(dict(type='TaiChiNet', ablation=name))
    count = n_params(model)
    assert abs(count - paper) / paper < 0.01, (name, count)


def test_parameter_breakdown():
    model = TaiChiNet()
    sub = n_params(model.backbone_p) + n_params(model.conv_seg_p)
    assert sub == 8_633_921  # docstring arithmetic
    assert n_params(model.neck) == 1_050_624
    assert n_params(model.comp_head) == 98


def test_default_shapes_through_every_part():
    model = TaiChiNet(use_curriculum=False)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        enc_n, enc_p = model.extract_feat(x)
        assert [f.shape[1] for f in enc_p] == [32, 64, 128, 256, 512]
        assert enc_n[-1].shape == enc_p[-1].shape == (2, 512, 4, 4)
        outs = model.forward_paths(x)
        for key in ('pre_p', 'pre_n', 'logit_p', 'logit_n'):
            assert outs[key].shape == (2, 1, 64, 64), key
        assert model(x, mode='tensor').shape == (2, 1, 64, 64)
        results = model.predict(x)
    assert len(results) == 2
    pred = results[0].pred_sem_seg.data
    assert pred.shape == (1, 64, 64)
    assert set(pred.unique().tolist()) <= {0, 1}
    assert results[0].seg_logits.data.shape == (1, 64, 64)
    # the prediction is sigmoid(O_p) > 0.5 (TaiChiNet has a head)
    torch.testing.assert_close(pred[0], (outs['logit_p'][0, 0] > 0).long())


def test_predict_maps_back_to_original_size_and_any_input_size():
    model = tiny()
    model.eval()
    x = torch.randn(1, 3, 20, 28)  # not divisible by 4: padded internally
    sample = SegDataSample(
        metainfo=dict(
            img_shape=(20, 28), ori_shape=(40, 56), padding_size=[0, 0, 0,
                                                                  0]))
    with torch.no_grad():
        assert model.forward_paths(x)['logit_p'].shape == (1, 1, 20, 28)
        out = model.predict(x, [sample])[0]
    assert out.pred_sem_seg.data.shape == (1, 40, 56)
    assert out.pred_sem_seg.data.dtype == torch.long
    assert set(out.pred_sem_seg.data.unique().tolist()) <= {0, 1}


def test_slide_inference():
    model = tiny(test_cfg=dict(mode='slide', crop_size=(16, 16),
                               stride=(8, 8)))
    model.eval()
    with torch.no_grad():
        out = model.predict(torch.randn(1, 3, 24, 24))
    assert out[0].pred_sem_seg.data.shape == (1, 24, 24)


# --------------------------------------------------------------------- #
# losses and curriculum stages
# --------------------------------------------------------------------- #
def test_stage_switch_changes_loss_keys():
    model = tiny()
    inputs, samples = synthetic_batch()
    assert model.stage == 1
    keys1 = set(model.loss(inputs, samples))
    assert keys1 == {'loss_seg_p', 'loss_seg_n', 'loss_easy'}
    model.stage = 2
    keys2 = set(model.loss(inputs, samples))
    assert keys2 == {'loss_seg_p', 'loss_seg_n', 'loss_hard', 'loss_comp'}
    with pytest.raises(ValueError, match='stage'):
        model.stage = 3


@pytest.mark.parametrize('name,keys', [
    ('model1', {'loss_seg_p'}),
    ('model2', {'loss_seg_p', 'loss_seg_n'}),
    ('model3', {'loss_seg_p', 'loss_seg_n', 'loss_comp'}),
    ('model7', {'loss_seg_p', 'loss_seg_n', 'loss_comp'}),
])
def test_ablation_loss_keys(name, keys):
    model = tiny(ablation=name)
    inputs, samples = synthetic_batch()
    assert set(model.loss(inputs, samples)) == keys


def test_ablation_switches_build_the_right_parts():
    m1 = tiny(ablation='model1')
    assert not hasattr(m1, 'backbone_n') and not m1.with_neck
    assert m1.test_cfg.predict_with == 'positive'
    m2 = tiny(ablation='model2')
    assert hasattr(m2, 'backbone_n') and not hasattr(m2, 'comp_head')
    assert m2.test_cfg.predict_with == 'mean'
    m4 = tiny(ablation='model4')
    assert m4.with_neck and not hasattr(m4, 'loss_comp')
    full = tiny()
    assert full.with_neck and full.comp_head.variant == 'c'
    assert full.use_curriculum and full.test_cfg.predict_with == 'positive'
    assert tiny(ablation='taichinet_head_a').comp_head.block_type == 'conv'
    assert tiny(ablation='taichinet_head_b').comp_head.order == 'n_first'
    # explicit switches override the preset
    assert not tiny(ablation='taichinet', use_curriculum=False).use_curriculum
    cfg = TaiChiNet.ablation_cfg('model6', backbone=tiny_backbone())
    assert cfg['use_c2_attention'] and not cfg['use_comp_head']
    assert isinstance(MODELS.build(cfg), TaiChiNet)
    assert set(TAICHINET_ABLATIONS) >= {f'model{i}' for i in range(1, 8)}


def test_model2_predicts_with_mean_of_lesion_probabilities():
    model = tiny(ablation='model2')
    model.eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        outs = model.forward_paths(x)
        logit = model.encode_decode(x, None)
    mean = 0.5 * (outs['logit_p'].sigmoid() + 1 - outs['logit_n'].sigmoid())
    torch.testing.assert_close(logit.sigmoid(), mean, rtol=1e-4, atol=1e-5)


def test_consistent_mutual_learning_targets_the_lesion():
    model = tiny(ablation='taichinet_cons_ml', use_curriculum=False)
    assert model.comp_head.complement is False
    assert model.loss_comp.mode == 'consistent'
    inputs, samples = synthetic_batch()
    losses = model.loss(inputs, samples)
    outs = model.forward_paths(inputs)
    gt = torch.stack([s.gt_sem_seg.data for s in samples])
    expected = model.loss_seg(outs['logit_n'], gt)  # G_p, not 1 - G_p
    torch.testing.assert_close(losses['loss_seg_n'], expected)
    comp = tiny(use_curriculum=False)  # complementary: G_n = 1 - G_p
    expected_n = comp.loss_seg(comp.forward_paths(inputs)['logit_n'], 1 - gt)
    torch.testing.assert_close(
        comp.loss(inputs, samples)['loss_seg_n'], expected_n)


def test_invalid_combinations_raise():
    with pytest.raises(ValueError, match='use_negative_path'):
        tiny(ablation='model1', use_c2_attention=True)
    with pytest.raises(ValueError, match='ablation'):
        tiny(ablation='model9')
    with pytest.raises(ValueError, match='mutual'):
        tiny(mutual='other')
    with pytest.raises(ValueError, match='predict_with'):
        tiny(ablation='model1', test_cfg=dict(predict_with='mean'))
    with pytest.raises(TypeError, match='encoder'):
        TaiChiNet(backbone=dict(type='ResNetV1c', depth=18))


def test_missing_curriculum_masks_message():
    model = tiny()
    inputs, samples = synthetic_batch()
    for s in samples:
        del s.gt_easy_part
    with pytest.raises(KeyError, match='prepare_curriculum.py'):
        model.loss(inputs, samples)


def test_empty_parts_bounded_or_ignored():
    inputs, samples = synthetic_batch()
    for s in samples:
        s.gt_hard_part = PixelData(data=torch.zeros_like(s.gt_hard_part.data))
    model = tiny(stage=2)
    hard = model.loss(inputs, samples)['loss_hard']
    assert torch.isfinite(hard) and 0 < hard.item() < 3  # Dice <= 1 + BCE
    model.ignore_empty_parts = True
    assert model.loss(inputs, samples)['loss_hard'].item() == 0.0


@pytest.mark.parametrize('stage,key,part', [(1, 'loss_easy', 'gt_easy_part'),
                                            (2, 'loss_hard', 'gt_hard_part')])
def test_part_term_follows_part_target(stage, key, part):
    from bus_mm.models.losses import curriculum_part_target
    inputs, samples = synthetic_batch()
    model = tiny(stage=stage, hard_weight=0.5)
    assert model.part_target == 'masked'  # the default reading
    model.eval()  # identical forward passes below
    outs = model.forward_paths(inputs)
    gt = torch.stack([s.gt_sem_seg.data for s in samples])
    parts = torch.stack([s.get(part).data for s in samples])
    weight = 1.0 if stage == 1 else 0.5
    for reading in ('masked', 'literal'):
        model.part_target = reading
        target = curriculum_part_target(parts, gt, reading)
        expected = weight * model.loss_seg(outs['logit_p'], target)
        assert model.loss(inputs, samples)[key].item() == pytest.approx(
            expected.item(), rel=1e-5)
    # the readings differ exactly on the lesion pixels outside the part
    masked = curriculum_part_target(parts, gt, 'masked')
    literal = curriculum_part_target(parts, gt, 'literal')
    differ = masked != literal
    assert differ.any() and ((gt == 1) & (parts == 0)).eq(differ).all()


def test_padding_ignored_in_losses():
    model = tiny()
    inputs, samples = synthetic_batch()
    ref = model.loss(inputs, samples)
    # pad the batch by 4 pixels (gt with 255 as mmseg's stack_batch does);
    # parts stay unpadded and are padded with 255 inside the model
    padded = torch.nn.functional.pad(inputs, (0, 4, 0, 4))
    for s in samples:
        s.gt_sem_seg = PixelData(data=torch.nn.functional.pad(
            s.gt_sem_seg.data, (0, 4, 0, 4), value=255))
    model.eval()  # BN statistics must not differ between the two calls
    losses = model.loss(padded, samples)
    for v in losses.values():
        assert torch.isfinite(v)
    assert set(losses) == set(ref)


def test_gradients_reach_both_paths_attention_and_head():
    model = tiny()
    model.stage = 2
    inputs, samples = synthetic_batch()
    losses = model.loss(inputs, samples)
    sum(losses.values()).backward()
    for name in ('backbone_p', 'backbone_n', 'conv_seg_p', 'conv_seg_n',
                 'neck', 'comp_head'):
        grads = [p.grad for p in getattr(model, name).parameters()]
        assert all(g is not None for g in grads), name
        assert sum(g.abs().sum() for g in grads) > 0, name


def test_loss_falls_with_adam():
    torch.manual_seed(0)
    model = tiny(backbone=tiny_backbone(base=8))
    inputs, samples = synthetic_batch()
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for step in range(30):
        model.stage = 1 if step < 15 else 2
        losses = model.loss(inputs, samples)
        total = losses['loss_seg_p'] + losses['loss_seg_n']
        optim.zero_grad()
        sum(losses.values()).backward()
        optim.step()
        history.append(total.item())
    assert history[-1] < 0.7 * history[0], history


def test_train_step_with_seg_data_preprocessor():
    # mean 0 / std 255: the paper's [0, 1] inputs
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = tiny(
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[0, 0, 0],
                std=[255, 255, 255],
                size=(16, 16),
                pad_val=0,
                seg_pad_val=255))
    _, samples = synthetic_batch()
    imgs = [torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8)] * 2
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    log_vars = model.train_step(dict(inputs=imgs, data_samples=samples),
                                optim)
    assert {'loss', 'loss_seg_p', 'loss_seg_n', 'loss_easy'} <= set(log_vars)
    model.eval()
    out = model.val_step(dict(inputs=imgs, data_samples=samples))
    assert out[0].pred_sem_seg.data.shape == (1, 16, 16)
