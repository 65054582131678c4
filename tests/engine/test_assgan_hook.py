"""Tests of ASSGANHook (bus_mm/engine/hooks/assgan_hook.py)."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModule
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmengine.structures import PixelData
from torch.utils.data import DataLoader

import bus_mm  # noqa: F401
from bus_mm.engine.hooks import ASSGANHook
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

register_all_modules(init_default_scope=True)



class FakeModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.semi_enabled = False
        self.last_accepted_ids = {'a': [], 'b': []}


@MODEL_WRAPPERS.register_module(force=True)
class FakeWrapper(nn.Module):

    def __init__(self, module):
        super().__init__()
        self.module = module


class FakeLogger:

    def __init__(self):
        self.messages = []

    def info(self, msg):
        self.messages.append(msg)


def fake_runner(name, model=None, train_loop=None, dataloader=None):
    return SimpleNamespace(
        model=model if model is not None else FakeModel(),
        iter=0,
        message_hub=MessageHub.get_instance(name),
        logger=FakeLogger(),
        train_loop=train_loop or object(),
        train_dataloader=dataloader)


def run_iters(hook, runner, accepted_per_iter):
    model = runner.model
    while hasattr(model, 'module'):
        model = model.module
    for ids in accepted_per_iter:
        hook.before_train_iter(runner, runner.iter)
        model.last_accepted_ids = ids
        hook.after_train_iter(runner, runner.iter)
        runner.iter += 1


def scalar(runner, key):
    return runner.message_hub.get_scalar(f'train/{key}').current()


def test_phase_follows_iteration_and_is_logged_once():
    runner = fake_runner('hook_phase', model=FakeWrapper(FakeModel()))
    hook = ASSGANHook(semi_start=3)
    hook.before_train(runner)
    inner = runner.model.module
    phases = []
    for _ in range(6):
        hook.before_train_iter(runner, runner.iter)
        phases.append(inner.semi_enabled)
        hook.after_train_iter(runner, runner.iter)
        runner.iter += 1
    assert phases == [False, False, False, True, True, True]
    switches = [m for m in runner.logger.messages if 'phase (' in m]
    assert len(switches) == 2  # supervised at iter 0, semi at iter 3
    assert 'iteration 3' in switches[1]


def test_resume_mid_run_gives_the_phase_of_the_iteration():
    runner = fake_runner('hook_resume_phase')
    runner.iter = 7
    hook = ASSGANHook(semi_start=5)
    hook.before_train(runner)
    assert runner.model.semi_enabled is True


def test_semi_start_epoch_uses_epoch_length():
    runner = fake_runner('hook_epoch')
    hook = ASSGANHook(semi_start_epoch=2, epoch_length=4)
    hook.before_train(runner)
    assert hook.resolved_semi_start == 8

    # under an epoch-based loop the dataloader length is the epoch
    loop = object.__new__(EpochBasedTrainLoop)
    runner = fake_runner(
        'hook_epoch_loop', train_loop=loop, dataloader=list(range(5)))
    hook = ASSGANHook(semi_start_epoch=2)
    hook.before_train(runner)
    assert hook.resolved_semi_start == 10

    runner = fake_runner('hook_epoch_missing')
    with pytest.raises(ValueError, match='epoch_length'):
        ASSGANHook(semi_start_epoch=2).before_train(runner)


def test_counts_distinct_unlabeled_images_per_window():
    runner = fake_runner('hook_counts')
    hook = ASSGANHook(semi_start=0, epoch_length=3)
    hook.before_train(runner)
    run_iters(hook, runner, [
        {'a': ['u1', 'u2'], 'b': ['u2']},
        {'a': ['u1'], 'b': ['u3']},
        {'a': [], 'b': ['u3', 'u4']},
    ])
    assert scalar(runner, 'unlabeled_used_a') == 2
    assert scalar(runner, 'unlabeled_used_b') == 3
    assert scalar(runner, 'unlabeled_used_union') == 4
    # the next window starts empty; a partial window is written at the end
    run_iters(hook, runner, [{'a': ['u9'], 'b': []}])
    assert scalar(runner, 'unlabeled_used_a') == 2
    hook.after_train(runner)
    assert scalar(runner, 'unlabeled_used_a') == 1
    assert scalar(runner, 'unlabeled_used_b') == 0
    assert scalar(runner, 'unlabeled_used_union') == 1


def test_window_survives_resume_through_message_hub():
    runner = fake_runner('hook_resume_a')
    hook = ASSGANHook(semi_start=0, epoch_length=4)
    hook.before_train(runner)
    run_iters(hook, runner, [{'a': ['u1'], 'b': []}, {'a': ['u2'], 'b': []}])
    saved = runner.message_hub.state_dict()  # what a checkpoint stores

    resumed = fake_runner('hook_resume_b')
    resumed.message_hub.load_state_dict(saved)
    resumed.iter = 2
    hook2 = ASSGANHook(semi_start=0, epoch_length=4)
    hook2.before_train(resumed)
    run_iters(hook2, resumed, [{'a': ['u3'], 'b': []}, {'a': [], 'b': []}])
    assert scalar(resumed, 'unlabeled_used_a') == 3

    # load_from (iteration 0) does not restore a window
    fresh = fake_runner('hook_resume_c')
    fresh.message_hub.load_state_dict(saved)
    hook3 = ASSGANHook(semi_start=0, epoch_length=1)
    hook3.before_train(fresh)
    run_iters(hook3, fresh, [{'a': ['u3'], 'b': []}])
    assert scalar(fresh, 'unlabeled_used_a') == 1


def test_bad_arguments_and_models_raise():
    with pytest.raises(ValueError, match='not both'):
        ASSGANHook(semi_start=1, semi_start_epoch=1)
    with pytest.raises(ValueError, match='epoch_length'):
        ASSGANHook(epoch_length=0)
    runner = fake_runner('hook_bad_model', model=nn.Linear(1, 1))
    with pytest.raises(TypeError, match='ASSGAN'):
        ASSGANHook(semi_start=0).before_train(runner)


# ----------------------------------------------------------------------
# with a real Runner, ASSGAN, the optimizer constructor and schedulers
# ----------------------------------------------------------------------
@MODELS.register_module(force=True)
class HookTestBackbone(BaseModule):

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.conv = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU())

    def forward(self, x):
        return (self.conv(x), )


def _sample(i, labeled, size=32):
    img = torch.randint(0, 255, (3, size, size), dtype=torch.uint8)
    s = SegDataSample(
        metainfo=dict(
            img_shape=(size, size),
            ori_shape=(size, size),
            sample_id=f'img{i}',
            labeled=labeled))
    if labeled:
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[:, 8:20, 8:20] = 1
        s.gt_sem_seg = PixelData(data=gt)
    return dict(inputs=img, data_samples=s)


def test_with_runner(tmp_path):
    from mmengine.dataset import pseudo_collate
    head = dict(
        type='FCNHead',
        in_channels=8,
        channels=4,
        num_convs=1,
        concat_input=False,
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=True))
    gen = dict(
        type='EncoderDecoder',
        backbone=dict(type='HookTestBackbone'),
        decode_head=head)
    model = dict(
        type='ASSGAN',
        generator_a=gen,
        generator_b=gen,
        discriminator=dict(type='PatchDiscriminator', in_channels=4,
                           base_channels=4),
        gate=dict(type='AgreementGate', gamma=0.0),
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[0., 0., 0.],
            std=[255., 255., 255.],
            size=(32, 32)))
    data = [_sample(i, i < 2) for i in range(4)]
    adam = dict(type='Adam', lr=1e-3)
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=DataLoader(
            data, batch_size=4, shuffle=False, collate_fn=pseudo_collate),
        train_cfg=dict(by_epoch=False, max_iters=4),
        optim_wrapper=dict(
            constructor='MultiOptimWrapperConstructor',
            optimizer=adam,
            generator_a=dict(type='OptimWrapper'),
            generator_b=dict(type='OptimWrapper'),
            discriminator=dict(type='OptimWrapper')),
        param_scheduler=[
            dict(type='PolyLR', power=1.0, begin=0, end=4, by_epoch=False)
        ],
        custom_hooks=[dict(type='ASSGANHook', semi_start=2, epoch_length=2)],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmseg',
        log_level='WARNING')
    phases = []
    runner.model.generator_a.backbone.register_forward_pre_hook(
        lambda m, args: phases.append(runner.model.semi_enabled))
    runner.train()
    hub = runner.message_hub
    assert runner.model.semi_enabled is True
    # the hook set the phase: labeled pass only in iterations 0-1; labeled
    # and unlabeled passes in iterations 2-3 (no strong view by default)
    assert phases == [False, False] + [True] * 4
    # accepted_* are logged in the semi-supervised phase only
    assert hub.get_scalar('train/accepted_a').data[0].tolist() == [2, 2]
    assert len(hub.get_scalar('train/pair_iou').data[0]) == 2
    # windows end at iterations 1 (supervised: 0 used) and 3 (2 used)
    assert hub.get_scalar('train/unlabeled_used_a').data[0].tolist() == [
        0, 2
    ]
    assert hub.get_scalar('train/unlabeled_used_union').current() == 2
    lrs = runner.optim_wrapper.get_lr()
    assert lrs['generator_a.lr'][0] < 1e-3
