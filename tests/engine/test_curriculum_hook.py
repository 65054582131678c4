"""Tests of CurriculumHook with a fake runner."""
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch.nn as nn
from mmengine.runner import IterBasedTrainLoop

from bus_mm.engine.hooks.curriculum_hook import CurriculumHook
from mmseg.registry import HOOKS


class StageModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.stage = 1


def fake_runner(model=None, epoch=0, it=0, max_epochs=4, max_iters=40,
                loop=None):
    loop = loop or SimpleNamespace(max_epochs=max_epochs, max_iters=max_iters)
    return SimpleNamespace(
        model=model or StageModel(),
        epoch=epoch,
        iter=it,
        train_loop=loop,
        logger=MagicMock())


def test_default_switch_is_half_of_the_epochs():
    hook = HOOKS.build(dict(type='CurriculumHook'))
    runner = fake_runner(max_epochs=4)
    stages = []
    for epoch in range(4):
        runner.epoch = epoch
        hook.before_train_iter(runner, 0)
        stages.append(runner.model.stage)
    assert hook.switch_epoch == 2
    assert stages == [1, 1, 2, 2]
    # the switch is logged once per stage change
    msgs = [c.args[0] for c in runner.logger.info.call_args_list]
    assert len(msgs) == 2 and 'stage 2' in msgs[1]


def test_switch_iter_and_iter_based_default():
    hook = CurriculumHook(switch_iter=10)
    runner = fake_runner()
    for it, expected in ((0, 1), (9, 1), (10, 2), (25, 2)):
        runner.iter = it
        hook.before_train_iter(runner, it)
        assert runner.model.stage == expected
    loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    loop._max_iters = 100
    hook = CurriculumHook()
    runner = fake_runner(loop=loop, it=49)
    hook.before_train(runner)
    assert hook.switch_iter == 50 and runner.model.stage == 1
    runner.iter = 50
    hook.before_train_iter(runner, 0)
    assert runner.model.stage == 2
    with pytest.raises(ValueError, match='switch_iter'):
        CurriculumHook(switch_epoch=1).before_train(runner)


def test_resume_lands_in_stage_two():
    runner = fake_runner(epoch=3, max_epochs=4)
    CurriculumHook().before_train(runner)  # fresh hook, resumed runner
    assert runner.model.stage == 2


def test_unwraps_ddp_like_wrapper():
    inner = StageModel()
    wrapper = SimpleNamespace(module=inner)
    runner = fake_runner(model=wrapper, epoch=5)
    CurriculumHook(switch_epoch=1).before_train_iter(runner, 0)
    assert inner.stage == 2


def test_errors():
    with pytest.raises(ValueError, match='not both'):
        CurriculumHook(switch_epoch=1, switch_iter=1)
    with pytest.raises(ValueError, match='>= 0'):
        CurriculumHook(switch_epoch=-1)
    runner = fake_runner(model=nn.Linear(1, 1))
    with pytest.raises(AttributeError, match='stage'):
        CurriculumHook(switch_epoch=1).before_train(runner)


def test_drives_taichinet_stage():
    from bus_mm.models.segmentors.taichinet import TaiChiNet
    model = TaiChiNet(
        backbone=dict(
            type='UNet',
            base_channels=4,
            num_stages=2,
            strides=(1, 1),
            enc_num_convs=(1, 1),
            dec_num_convs=(1, ),
            downsamples=(True, ),
            enc_dilations=(1, 1),
            dec_dilations=(1, ),
            upsample_cfg=dict(type='InterpConv', kernel_size=3, padding=1)))
    runner = fake_runner(model=model, epoch=20, max_epochs=40)
    CurriculumHook().before_train_iter(runner, 0)
    assert model.stage == 2
