"""The fast path's switches: ``amp``/``channels_last`` True, False or 'auto',
the layout table, the log line, the flags and their round trip."""
import argparse
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from bus_mm.engine import fast_path as fp
from bus_mm.engine.fast_path import (LAYOUT, add_fast_path_args,
                                     apply_fast_path, bf16_unit,
                                     choose_layout, model_family,
                                     fast_path_argv)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _cfg(**keys) -> Config:
    return Config(dict(
        optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='Adam')),
        val_cfg=dict(type='ValLoop'), test_cfg=dict(type='TestLoop'),
        custom_hooks=[dict(type='SplitRecorderHook')], **keys))


def _hooks(cfg) -> list:
    return [h['type'] for h in cfg.custom_hooks]


@pytest.fixture
def logs(monkeypatch):
    """The fast path's log lines, as (level, message)."""
    lines = []
    monkeypatch.setattr(
        fp, 'print_log', lambda msg, logger=None, level=logging.INFO:
        lines.append((level, msg)))
    return lines


def _cpu(monkeypatch, avx512_bf16: bool, amx: bool = False) -> None:
    """A CPU-only machine whose native-bf16 units are faked (the capability
    check, check_autocast, reads the same two functions)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.cpu, '_is_avx512_bf16_supported',
                        lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, '_is_amx_tile_supported', lambda: amx)


@pytest.fixture
def bf16_cpu(monkeypatch):
    _cpu(monkeypatch, True)


@pytest.fixture
def fp32_cpu(monkeypatch):
    _cpu(monkeypatch, False)


@pytest.fixture
def cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='tool')
    parser.add_argument('config')
    add_fast_path_args(parser)
    return parser


# --- the layout table --------------------------------------------------------

def test_layout_table():
    # bf16 training: the measured families and bf16 units disagree
    assert LAYOUT[('train', 'bf16', 'unet', 'amx')] is False
    assert LAYOUT[('train', 'bf16', 'unet', 'avx512_bf16')] is True
    assert LAYOUT[('train', 'bf16', 'resnet', 'amx')] is True
    assert LAYOUT[('train', 'bf16', 'resnet', 'avx512_bf16')] is False
    # NHWC for bf16 inference and for fp32 everywhere
    others = {k: v for k, v in LAYOUT.items()
              if (k[0], k[1]) != ('train', 'bf16')}
    assert len(others) == 8 and all(others.values())
    for (phase, precision, family, unit), nhwc in LAYOUT.items():
        assert choose_layout(phase, precision, 'cpu', family, unit) is nhwc
        assert choose_layout(phase, precision, 'cuda', family, unit) is False
    with pytest.raises(ValueError, match='phase must be one of'):
        choose_layout('val', 'bf16')
    with pytest.raises(ValueError, match='family must be one of'):
        choose_layout('train', 'bf16', family='vit')


@pytest.mark.parametrize('amx', [True, False])
def test_bf16_layout_follows_the_cpus_bf16_unit(monkeypatch, amx):
    _cpu(monkeypatch, True, amx=amx)
    assert bf16_unit() == ('amx' if amx else 'avx512_bf16')
    assert choose_layout('train', 'bf16', family='unet') is (not amx)
    assert choose_layout('train', 'bf16', family='resnet') is amx


def test_model_family():
    assert model_family(Config(dict(model=dict(type='TaiChiNet')))) == 'unet'
    assert model_family(Config(dict(model=dict(
        type='EncoderDecoder', backbone=dict(type='UNet'))))) == 'unet'
    assert model_family(Config(dict(model=dict(
        type='UNetPlusPlus')))) == 'unet'
    assert model_family(Config(dict(model=dict(type='ASSGAN')))) == 'resnet'
    assert model_family(Config(dict(model=dict(
        type='EncoderDecoder', backbone=dict(type='ResNetV1c'))))) == \
        'resnet'


@pytest.mark.parametrize('train', [True, False])
@pytest.mark.parametrize('amp', [True, False])
def test_auto_layout_follows_phase_and_precision(bf16_cpu, logs, train,
                                                 amp):
    cfg = _cfg(channels_last='auto')
    family = model_family(cfg)
    done = apply_fast_path(cfg, amp=amp, train=train)
    phase, precision = 'train' if train else 'infer', 'bf16' if amp else 'fp32'
    # bf16_cpu: AVX-512 BF16 without AMX
    key = (phase, precision, family, 'avx512_bf16' if amp else None)
    assert done == dict(amp='bfloat16' if amp else None,
                        channels_last=LAYOUT[key])
    assert cfg.channels_last is LAYOUT[key]
    assert ('ChannelsLastHook' in _hooks(cfg)) is LAYOUT[key]
    assert _hooks(cfg)[0] == 'SplitRecorderHook'
    why = ', '.join(k for k in key if k is not None)
    assert logs[-1][1].endswith(
        f'channels_last=auto -> {LAYOUT[key]} ({why})')


def test_auto_layout_on_a_cpu_without_bf16_is_fp32s(fp32_cpu, logs):
    cfg = _cfg(amp='auto', channels_last='auto')
    assert apply_fast_path(cfg.copy())['channels_last'] is True
    assert apply_fast_path(cfg.copy(), train=False)['channels_last'] is True


def test_auto_layout_on_cuda_keeps_nchw(cuda, logs):
    cfg = _cfg(channels_last='auto')
    assert apply_fast_path(cfg, amp=True)['channels_last'] is False
    assert 'ChannelsLastHook' not in _hooks(cfg)
    assert logs[-1][1] == ('fast path: amp=float16 on cuda, channels_last=auto'
                           ' -> False (not measured on cuda: NCHW)')


@pytest.mark.parametrize('forced', [True, False])
def test_explicit_layout_overrides_auto(bf16_cpu, logs, forced):
    # the flag over the config's 'auto', for both phases and precisions
    for train in (True, False):
        for amp in (True, False):
            cfg = _cfg(channels_last='auto')
            done = apply_fast_path(cfg, amp=amp, channels_last=forced,
                                   train=train)
            assert done['channels_last'] is forced
            assert ('ChannelsLastHook' in _hooks(cfg)) is forced
            # a config's True/False is kept as it is, too
            cfg = _cfg(channels_last=forced)
            assert apply_fast_path(cfg, amp=amp,
                                   train=train)['channels_last'] is forced
    # and the flag's 'auto' over a config's True
    cfg = _cfg(channels_last=True)
    assert apply_fast_path(cfg, amp=True,
                           channels_last='auto')['channels_last'] is False


def test_nothing_set_stays_plain_and_quiet(bf16_cpu, logs):
    cfg = _cfg()
    assert apply_fast_path(cfg) == dict(amp=None, channels_last=False)
    assert _hooks(cfg) == ['SplitRecorderHook']
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert logs == []


# --- amp = 'auto' ------------------------------------------------------------

def test_amp_auto_on_a_cpu_with_bf16(bf16_cpu, logs):
    cfg = _cfg(amp='auto', channels_last='auto')
    done = apply_fast_path(cfg)
    assert done == dict(amp='bfloat16', channels_last=False)
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.val_cfg.fp16 and cfg.test_cfg.fp16 and cfg.amp is True
    assert logs == [(logging.INFO,
                     'fast path: amp=auto -> bf16 autocast (this CPU has '
                     'native bf16: AVX-512 BF16), channels_last=auto -> '
                     'False (train, bf16, resnet, avx512_bf16)')]


def test_amp_auto_names_the_units(monkeypatch, logs):
    _cpu(monkeypatch, True, amx=True)
    apply_fast_path(_cfg(amp='auto'), train=False)
    assert logs == [(logging.INFO,
                     'fast path: amp=auto -> bf16 autocast (this CPU has '
                     'native bf16: AVX-512 BF16, AMX), channels_last=False')]


def test_amp_auto_on_a_cpu_without_bf16(fp32_cpu, logs):
    cfg = _cfg(amp='auto', channels_last='auto')
    done = apply_fast_path(cfg)
    assert done == dict(amp=None, channels_last=True)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'dtype' not in cfg.optim_wrapper
    assert not cfg.val_cfg.fp16 and cfg.amp is False
    assert logs == [(logging.INFO,
                     'fast path: amp=auto -> fp32 (this CPU has no native '
                     'bf16: AVX-512 BF16 / AMX missing), channels_last=auto '
                     '-> True (train, fp32, resnet)')]


def test_amp_auto_flag_over_a_config_without_keys(fp32_cpu, logs):
    # --amp auto never stops a run, where --amp does
    assert apply_fast_path(_cfg(), amp='auto')['amp'] is None
    with pytest.raises(SystemExit, match='no native bfloat16'):
        apply_fast_path(_cfg(), amp=True)
    with pytest.raises(SystemExit, match='dtype must be one of'):
        apply_fast_path(_cfg(), amp='auto', amp_dtype='int8')


def test_amp_auto_float16_on_a_cpu_falls_back(bf16_cpu, logs):
    done = apply_fast_path(_cfg(amp='auto', amp_dtype='float16'))
    assert done['amp'] is None
    assert logs[-1][1].startswith(
        'fast path: amp=auto -> fp32 (float16 autocast is not supported')


def test_amp_auto_uses_the_capability_check(monkeypatch, logs):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(fp, 'check_autocast', lambda dtype, device: None)
    monkeypatch.setattr(fp, '_cpu_bf16_units', lambda: [])
    assert apply_fast_path(_cfg(amp='auto'))['amp'] == 'bfloat16'
    assert logs[-1][1] == ('fast path: amp=auto -> bf16 autocast (this CPU '
                           'has native bf16), channels_last=False')
    monkeypatch.setattr(fp, 'check_autocast',
                        lambda dtype, device: 'no bf16 here')
    assert apply_fast_path(_cfg(amp='auto'))['amp'] is None


def test_amp_auto_on_cuda(cuda, monkeypatch, logs):
    cfg = _cfg(amp='auto', channels_last='auto')
    done = apply_fast_path(cfg)
    assert done == dict(amp='float16', channels_last=False)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'float16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert logs == [(logging.INFO,
                     'fast path: amp=auto -> fp16 AMP (CUDA), channels_last='
                     'auto -> False (not measured on cuda: NCHW)')]
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: True)
    assert apply_fast_path(_cfg(amp='auto', amp_dtype='bfloat16'),
                           train=False)['amp'] == 'bfloat16'
    assert logs[-1][1] == 'fast path: amp=auto -> bf16 AMP (CUDA), ' \
        'channels_last=False'
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: False)
    cfg = _cfg(amp='auto', amp_dtype='bfloat16')
    assert apply_fast_path(cfg)['amp'] is None
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert logs[-1][1] == ('fast path: amp=auto -> fp32 (this GPU does not '
                           'support bfloat16; use --amp-dtype float16), '
                           'channels_last=False')


def test_plain_amp_keeps_its_log_line(bf16_cpu, logs):
    apply_fast_path(_cfg(), amp=True, channels_last=True)
    assert logs == [(logging.INFO,
                     'fast path: amp=bfloat16 on cpu, channels_last=True')]


# --- bad values --------------------------------------------------------------

@pytest.mark.parametrize('key,value', [('amp', 'fast'), ('amp', 1),
                                       ('channels_last', 'yes'),
                                       ('channels_last', 'on')])
def test_bad_config_values_name_the_key(bf16_cpu, key, value):
    with pytest.raises(ValueError) as err:
        apply_fast_path(_cfg(**{key: value}))
    assert str(err.value) == (f"config key `{key}` must be True, False or "
                              f"'auto', got {value!r}")


def test_bad_argument_values_name_the_flag(bf16_cpu):
    with pytest.raises(ValueError, match=r"`amp` \(--amp\) must be True, "
                       r"False or 'auto', got 'fast'"):
        apply_fast_path(_cfg(), amp='fast')
    with pytest.raises(ValueError, match=r"`channels_last` \(--channels-last"
                       r"\) must be True, False or 'auto', got 'yes'"):
        apply_fast_path(_cfg(), channels_last='yes')


@pytest.mark.parametrize('argv,flag', [
    (['c.py', '--amp', 'fast'], '--amp'),
    (['c.py', '--channels-last', 'yes'], '--channels-last'),
    (['--amp', 'c.py'], '--amp')])
def test_bad_flag_values_name_the_flag(argv, flag, capsys):
    with pytest.raises(SystemExit) as err:
        _parser().parse_args(argv)
    assert err.value.code == 2
    msg = capsys.readouterr().err
    assert f'argument {flag}: ' in msg and 'is not one of auto, on, off' \
        in msg


# --- the flags ---------------------------------------------------------------

@pytest.mark.parametrize('argv,amp,cl', [
    ([], None, None),
    (['--amp'], True, None),
    (['--no-amp'], False, None),
    (['--amp', 'auto'], 'auto', None),
    (['--amp=auto'], 'auto', None),
    (['--amp', 'on'], True, None),
    (['--amp', 'off', '--channels-last'], False, True),
    (['--no-channels-last', '--amp', '--amp-dtype', 'bfloat16'], True, False),
    (['--channels-last', 'auto', '--amp', 'auto'], 'auto', 'auto'),
    (['--amp', '--channels-last=off'], True, False)])
def test_flags_parse_and_round_trip(argv, amp, cl):
    parser = _parser()
    args = parser.parse_args(['c.py'] + argv)
    assert (args.amp, args.channels_last) == (amp, cl)
    words = fast_path_argv(args)
    assert parser.parse_args(['c.py'] + words) == args
    # 'auto' travels as one word, so the words parse also before a
    # positional argument unless they end with a bare switch
    if words and words[-1] not in ('--amp', '--channels-last'):
        assert parser.parse_args(words + ['c.py']) == args


def test_argv_words():
    ns = argparse.Namespace
    assert fast_path_argv(ns(amp=True, amp_dtype=None,
                             channels_last=None)) == ['--amp']
    assert fast_path_argv(ns(amp=False, amp_dtype='bfloat16',
                             channels_last=False)) == [
        '--no-amp', '--amp-dtype', 'bfloat16', '--no-channels-last']
    assert fast_path_argv(ns(amp='auto', amp_dtype=None,
                             channels_last='auto')) == [
        '--amp=auto', '--channels-last=auto']


# --- the shipped configs and the hook ----------------------------------------

AUTO_CONFIGS = [
    'configs/taichinet/taichinet_busi-cpu128.py',
    'configs/taichinet/taichinet_busi-cpu128_no-curriculum.py',
    'configs/taichinet/unet_busi-cpu128.py',
    'configs/taichinet/unetpp_busi-cpu128.py',
    'configs/taichinet/taichinet_busi-with-normal-cpu128.py',
    'configs/taichinet/taichinet_busi-with-normal-cpu128_no-curriculum.py',
    'configs/taichinet/unet_busi-with-normal-cpu128.py',
    'configs/taichinet/unetpp_busi-with-normal-cpu128.py',
    'configs/taichinet/taichinet_busi-cpu128-w32.py',
    'configs/taichinet/taichinet_busi-cpu128-w32_no-curriculum.py',
    'configs/taichinet/unet_busi-cpu128-w32.py',
    'configs/taichinet/unetpp_busi-cpu128-w32.py',
    'configs/taichinet/taichinet_busi-with-normal-cpu128-w32.py',
    'configs/taichinet/'
    'taichinet_busi-with-normal-cpu128-w32_no-curriculum.py',
    'configs/taichinet/unet_busi-with-normal-cpu128-w32.py',
    'configs/taichinet/unetpp_busi-with-normal-cpu128-w32.py',
    'configs/assgan/assgan_busi-cpu128-r18_15pct.py',
    'configs/assgan/assgan_busi-cpu128-r18_15pct_sup.py',
    'configs/assgan/assgan_busi-cpu128-r18_15pct_2gen.py',
    'configs/assgan/assgan_busi-cpu128-r18_15pct_agree-cut.py',
    'configs/assgan/assgan_busi-cpu128-r18_15pct_no-d.py',
    'configs/assgan/assgan_busi-cpu128-r18_15pct_paper-gate.py',
    'configs/assgan/assgan_phantom-demo.py',  # make demo
]


@pytest.mark.parametrize('path', AUTO_CONFIGS)
def test_cpu_configs_default_to_auto(path, bf16_cpu, logs):
    from bus_mm.apis import load_config
    cfg = load_config(osp.join(REPO, path))
    assert (cfg.amp, cfg.channels_last) == ('auto', 'auto')
    done = apply_fast_path(cfg)
    # bf16_cpu has AVX-512 BF16 without AMX: NHWC trains the U-Net family
    # faster there, NCHW the ResNet generators
    unet = 'taichinet/' in path
    assert model_family(cfg) == ('unet' if unet else 'resnet')
    assert done == dict(amp='bfloat16', channels_last=unet)
    assert all(w['type'] == 'AutocastOptimWrapper'
               for w in fp._optim_wrappers(cfg))


@pytest.mark.parametrize('path', ['configs/taichinet/taichinet_busi-224.py',
                                  'configs/demo/unet_phantom-demo.py'])
def test_other_configs_keep_the_plain_default(path):
    from bus_mm.apis import load_config
    cfg = load_config(osp.join(REPO, path))
    assert not cfg.get('amp') and not cfg.get('channels_last')


def test_channels_last_hook_converts_the_model():
    from types import SimpleNamespace

    from bus_mm.engine.hooks.channels_last_hook import ChannelsLastHook
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
    weight = model[0].weight
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    assert model[0].weight is weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
