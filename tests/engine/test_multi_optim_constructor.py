"""Tests of MultiOptimWrapperConstructor (bus_mm/engine/optimizers)."""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.runner import Runner
from torch.utils.data import DataLoader

import bus_mm  # noqa: F401
from bus_mm.engine.optimizers import MultiOptimWrapperConstructor
from mmseg.utils import register_all_modules

register_all_modules(init_default_scope=True)

ADAM = dict(type='Adam', lr=1e-4, betas=(0.9, 0.999))


class ToyGAN(BaseModel):
    """Three networks as direct attributes, like ASSGAN."""

    def __init__(self, with_b=True, with_d=True):
        super().__init__()
        self.generator_a = nn.Sequential(
            nn.Conv2d(3, 4, 3), nn.Conv2d(4, 1, 1))
        self.generator_b = nn.Conv2d(3, 1, 3) if with_b else None
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, 4, 4), nn.BatchNorm2d(4)) if with_d else None

    def forward(self, *args, **kwargs):  # pragma: no cover - unused
        raise NotImplementedError


def full_cfg(**extra):
    cfg = dict(
        constructor='MultiOptimWrapperConstructor',
        generator_a=dict(type='OptimWrapper', optimizer=dict(ADAM)),
        generator_b=dict(type='OptimWrapper', optimizer=dict(ADAM)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(ADAM)))
    cfg.update(extra)
    return cfg


def param_ids(optim_wrapper):
    return {
        id(p)
        for g in optim_wrapper.optimizer.param_groups for p in g['params']
    }


def test_one_wrapper_per_network_with_its_own_parameters():
    model = ToyGAN()
    ow = build_optim_wrapper(model, full_cfg())
    assert isinstance(ow, OptimWrapperDict)
    assert set(ow.keys()) == {'generator_a', 'generator_b', 'discriminator'}
    for name in ow.keys():
        assert param_ids(ow[name]) == {
            id(p)
            for p in getattr(model, name).parameters()
        }
        assert isinstance(ow[name].optimizer, torch.optim.Adam)
        assert ow[name].optimizer.param_groups[0]['lr'] == 1e-4


def test_shared_defaults_and_per_network_overrides():
    model = ToyGAN()
    cfg = dict(
        constructor='MultiOptimWrapperConstructor',
        optimizer=dict(ADAM),
        clip_grad=dict(max_norm=1.0),
        generator_a=dict(type='OptimWrapper'),
        generator_b=dict(
            type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
        discriminator=dict(
            type='OptimWrapper', optimizer=dict(lr=4e-4),
            accumulative_counts=2))
    ow = build_optim_wrapper(model, cfg)
    a, b, d = ow['generator_a'], ow['generator_b'], ow['discriminator']
    assert isinstance(a.optimizer, torch.optim.Adam)
    assert a.optimizer.param_groups[0]['lr'] == 1e-4
    # another type replaces the shared optimizer: no Adam betas leak in
    assert isinstance(b.optimizer, torch.optim.SGD)
    assert b.optimizer.param_groups[0]['lr'] == 0.1
    # same type: merged
    assert isinstance(d.optimizer, torch.optim.Adam)
    assert d.optimizer.param_groups[0]['lr'] == 4e-4
    assert d._accumulative_counts == 2 and a._accumulative_counts == 1
    assert a.clip_grad_kwargs == dict(max_norm=1.0)


def test_top_level_type_applies_to_empty_entries():
    """The form tools rewrite for --amp: ``type`` at the top level, entries
    that only name the networks (``dict()``) or override a few keys."""
    model = ToyGAN()
    cfg = dict(
        constructor='MultiOptimWrapperConstructor',
        type='OptimWrapper',
        optimizer=dict(ADAM),
        generator_a=dict(),
        generator_b=dict(),
        discriminator=dict(optimizer=dict(lr=4e-4)))
    ow = build_optim_wrapper(model, cfg)
    assert set(ow.keys()) == {'generator_a', 'generator_b', 'discriminator'}
    assert ow['discriminator'].optimizer.param_groups[0]['lr'] == 4e-4
    assert ow['generator_b'].optimizer.param_groups[0]['betas'] == (0.9,
                                                                    0.999)


def test_paramwise_cfg_per_network_and_shared():
    model = ToyGAN()
    cfg = full_cfg()
    cfg['discriminator']['paramwise_cfg'] = dict(
        custom_keys={'0.': dict(lr_mult=10.)})
    ow = build_optim_wrapper(model, cfg)
    d_lrs = sorted(
        {g['lr'] for g in ow['discriminator'].optimizer.param_groups})
    assert d_lrs == pytest.approx([1e-4, 1e-3])
    assert {g['lr']
            for g in ow['generator_a'].optimizer.param_groups} == {1e-4}

    # a top-level paramwise_cfg is the default of every entry
    cfg = full_cfg(paramwise_cfg=dict(norm_decay_mult=0.))
    for name in ('generator_a', 'generator_b', 'discriminator'):
        cfg[name]['optimizer']['weight_decay'] = 1e-2
    ow = build_optim_wrapper(model, cfg)
    norm = {id(p) for p in model.discriminator[1].parameters()}
    for g in ow['discriminator'].optimizer.param_groups:
        expected = 0. if id(g['params'][0]) in norm else 1e-2
        assert g['weight_decay'] == expected


def test_entries_for_missing_networks_are_skipped():
    model = ToyGAN(with_b=False, with_d=False)
    ow = build_optim_wrapper(model, full_cfg())
    assert set(ow.keys()) == {'generator_a'}


def test_trainable_network_without_entry_raises():
    cfg = full_cfg()
    del cfg['discriminator']
    with pytest.raises(KeyError, match='discriminator'):
        build_optim_wrapper(ToyGAN(), cfg)
    cfg = full_cfg(discriminator=None)
    with pytest.raises(ValueError, match='discriminator'):
        build_optim_wrapper(ToyGAN(), cfg)


def test_unknown_network_key_raises():
    cfg = full_cfg(
        generatr_c=dict(type='OptimWrapper', optimizer=dict(ADAM)))
    with pytest.raises(AttributeError, match='generatr_c'):
        build_optim_wrapper(ToyGAN(), cfg)
    with pytest.raises(ValueError, match='optimizer'):
        build_optim_wrapper(
            ToyGAN(),
            dict(
                constructor='MultiOptimWrapperConstructor',
                generator_a=dict(type='OptimWrapper'),
                generator_b=dict(type='OptimWrapper'),
                discriminator=dict(type='OptimWrapper')))
    with pytest.raises(TypeError):
        MultiOptimWrapperConstructor(['not', 'a', 'dict'])


@pytest.mark.parametrize('form', ['list', 'dict'])
def test_runner_builds_param_schedulers(tmp_path, form):
    if form == 'list':
        scheduler = [
            dict(type='PolyLR', power=1.0, eta_min=0., begin=0, end=10,
                 by_epoch=False)
        ]
    else:
        poly = [dict(type='PolyLR', power=1.0, eta_min=0., begin=0, end=10,
                     by_epoch=False)]
        scheduler = dict(
            generator_a=poly,
            generator_b=poly,
            discriminator=[
                dict(type='ConstantLR', factor=1.0, by_epoch=False)
            ])
    runner = Runner(
        model=ToyGAN(),
        work_dir=str(tmp_path),
        train_dataloader=DataLoader([0]),
        train_cfg=dict(by_epoch=False, max_iters=10),
        optim_wrapper=full_cfg(),
        param_scheduler=scheduler,
        default_scope='mmseg',
        log_level='WARNING')
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(
        runner.param_schedulers)
    assert set(runner.param_schedulers) == {
        'generator_a', 'generator_b', 'discriminator'
    }
    for _ in range(5):
        for schedulers in runner.param_schedulers.values():
            for s in schedulers:
                s.step()
    lrs = runner.optim_wrapper.get_lr()
    poly_lr = 1e-4 * (1 - 5 / 9)  # mmengine's PolyLR spans end - begin - 1
    assert lrs['generator_a.lr'][0] == pytest.approx(poly_lr)
    assert lrs['generator_b.lr'][0] == pytest.approx(poly_lr)
    expected_d = poly_lr if form == 'list' else 1e-4
    assert lrs['discriminator.lr'][0] == pytest.approx(expected_d)
