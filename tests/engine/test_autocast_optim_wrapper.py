"""bf16 autocast training on a CPU: AutocastOptimWrapper and the fast path."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict

from bus_mm.engine.fast_path import apply_fast_path
from bus_mm.engine.optimizers import autocast_optim_wrapper as aow
from bus_mm.engine.optimizers.autocast_optim_wrapper import \
    AutocastOptimWrapper
from tests.models.test_assgan import build, make_batch, snapshot

needs_cpu = pytest.mark.skipif(torch.cuda.is_available(),
                               reason='the CPU path (a GPU takes AMP)')


@pytest.fixture
def bf16_cpu(monkeypatch):
    """Run the bf16 path also where the CPU only emulates bf16 (slow but
    correct; tiny models keep it cheap)."""
    monkeypatch.setattr(aow, 'cpu_supports_bf16', lambda: True)


def _segmentor():
    from mmseg.registry import MODELS
    from tests.models.test_assgan import gen_cfg
    cfg = gen_cfg(out_channels=1, aux=True)
    cfg['data_preprocessor'] = dict(type='SegDataPreProcessor',
                                    mean=[0., 0., 0.], std=[255., 255., 255.],
                                    size=(32, 32))
    return MODELS.build(cfg)


@needs_cpu
def test_single_optimizer_trains_under_bf16_and_roundtrips(bf16_cpu):
    torch.manual_seed(0)
    model = _segmentor()
    optim = AutocastOptimWrapper(
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    batch = make_batch(4, 0)
    seen = []
    model.backbone.conv1.register_forward_hook(
        lambda m, a, out: seen.append(out.dtype))
    losses = [float(model.train_step(copy.deepcopy(batch), optim)['loss'])
              for _ in range(25)]
    assert seen[0] == torch.bfloat16  # the forward ran under autocast
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert losses[-1] < 0.7 * losses[0]
    state = optim.state_dict()
    other = AutocastOptimWrapper(
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    other.load_state_dict(copy.deepcopy(state))
    assert other.optimizer.state_dict()['state'].keys() == \
        state['state'].keys()


@needs_cpu
def test_assgan_three_optimizers_train_under_bf16(bf16_cpu):
    torch.manual_seed(0)
    model = build(gate=dict(type='AgreementGate', gamma=0.0))
    nets = ('generator_a', 'generator_b', 'discriminator')
    optim = OptimWrapperDict(**{
        name: AutocastOptimWrapper(optimizer=torch.optim.Adam(
            getattr(model, name).parameters(), lr=1e-2))
        for name in nets})
    dtypes = []
    model.generator_a.backbone.register_forward_hook(
        lambda m, args, out: dtypes.append(out[-1].dtype))
    # the supervised phase learns
    first = model.train_step(make_batch(2, 2), optim)
    for _ in range(4):
        log = model.train_step(make_batch(2, 2), optim)
    assert log['gen_a.decode.loss_ce'] < 0.9 * first['gen_a.decode.loss_ce']
    # a semi-supervised step updates all three networks, finite
    model.semi_enabled = True
    before = {n: snapshot(getattr(model, n)) for n in nets}
    dtypes.clear()
    log = model.train_step(make_batch(2, 2), optim)
    for name, snap in before.items():
        after = snapshot(getattr(model, name))
        assert any(not torch.equal(snap[k], after[k]) for k in snap), name
    assert all(torch.isfinite(torch.tensor(v)) for v in log.values())
    assert log['accepted_a'] == 2 and log['loss_semi_b'] > 0
    # labeled, weak and strong-view passes, all under autocast
    assert dtypes == [torch.bfloat16] * 3


def test_refusal_without_native_bf16(monkeypatch):
    monkeypatch.setattr(aow, 'cpu_supports_bf16', lambda: False)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper',
                                         optimizer=dict(type='Adam')),
                      val_cfg=dict(type='ValLoop'),
                      test_cfg=dict(type='TestLoop')))
    with pytest.raises(SystemExit, match='no native bfloat16'):
        apply_fast_path(copy.deepcopy(cfg), amp=True)
    with pytest.raises(SystemExit, match='float16 autocast is not supported'):
        apply_fast_path(copy.deepcopy(cfg), amp=True, amp_dtype='float16')
    # a config that defaults to the fast path falls back to fp32
    cfg.amp = True
    done = apply_fast_path(cfg)
    assert done['amp'] is None and cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.val_cfg.fp16 is False
    with pytest.raises(RuntimeError, match='no native bfloat16'):
        AutocastOptimWrapper(optimizer=torch.optim.SGD(
            [torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    fallback = AutocastOptimWrapper(
        optimizer=torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                                  lr=0.1), on_unsupported='fp32')
    assert not fallback.enabled


def test_channels_last_switch_adds_one_hook():
    cfg = Config(dict(custom_hooks=[dict(type='SplitRecorderHook')],
                      channels_last=True))
    apply_fast_path(cfg, train=False)
    assert [h['type'] for h in cfg.custom_hooks] == [
        'SplitRecorderHook', 'ChannelsLastHook']
    apply_fast_path(cfg, channels_last=False, train=False)
    assert [h['type'] for h in cfg.custom_hooks] == ['SplitRecorderHook']
