"""Tests of the ASSGAN segmentor (bus_mm/models/segmentors/assgan.py).

Tiny generators (a 2-conv backbone registered here + FCN heads with 4
channels) on 32x32 images keep every test to CPU seconds.
"""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModule
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.structures import PixelData

import bus_mm  # noqa: F401  (registers ASSGAN, PatchDiscriminator)
from bus_mm.models.segmentors.assgan import ASSGAN
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

register_all_modules(init_default_scope=True)
SIZE = 32


@MODELS.register_module(force=True)
class ASSGANTestBackbone(BaseModule):
    """Two stride-2 convs; returns both feature maps."""

    def __init__(self, in_channels=3, channels=8, init_cfg=None):
        super().__init__(init_cfg)
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, 2, 1), nn.ReLU())
        self.conv2 = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 2, 1), nn.ReLU())

    def forward(self, x):
        a = self.conv1(x)
        return (a, self.conv2(a))


def head_cfg(out_channels=1, in_index=1, loss_weight=1.0):
    return dict(
        type='FCNHead',
        in_channels=8,
        in_index=in_index,
        channels=4,
        num_convs=1,
        concat_input=False,
        num_classes=2,
        out_channels=out_channels,
        threshold=0.5 if out_channels == 1 else None,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=out_channels == 1,
            loss_weight=loss_weight))


def gen_cfg(out_channels=1, aux=False):
    cfg = dict(
        type='EncoderDecoder',
        backbone=dict(type='ASSGANTestBackbone'),
        decode_head=head_cfg(out_channels))
    if aux:
        cfg['auxiliary_head'] = head_cfg(out_channels, 0, 0.4)
    return cfg


def build(out_a=1, out_b=2, aux_a=True, two=True, disc=True, **kwargs):
    cfg = dict(
        type='ASSGAN',
        generator_a=gen_cfg(out_a, aux_a),
        generator_b=gen_cfg(out_b) if two else None,
        discriminator=dict(type='PatchDiscriminator', base_channels=4)
        if disc else None,
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[0., 0., 0.],
            std=[255., 255., 255.],
            size=(SIZE, SIZE)))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def make_batch(nl=2, nu=2, seed=0, size=SIZE):
    """``nl`` labeled + ``nu`` unlabeled samples: a bright square on noise,
    the square is the lesion."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(nl + nu):
        img = torch.randint(0, 80, (3, size, size), generator=g)
        y0, x0 = torch.randint(0, size // 2, (2, ), generator=g).tolist()
        img[:, y0:y0 + size // 3, x0:x0 + size // 3] += 150
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[:, y0:y0 + size // 3, x0:x0 + size // 3] = 1
        s = SegDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                sample_id=f'img{i}',
                labeled=i < nl))
        if i < nl:
            s.gt_sem_seg = PixelData(data=gt)
        inputs.append(img.to(torch.uint8))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def make_optim(model, lr=1e-3, cls=OptimWrapper, **kwargs):
    wrappers = {}
    for name in ('generator_a', 'generator_b', 'discriminator'):
        module = getattr(model, name)
        if module is not None:
            wrappers[name] = cls(
                optimizer=torch.optim.Adam(module.parameters(), lr=lr),
                **kwargs)
    return OptimWrapperDict(**wrappers)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    """Equal state dicts; NaN equals NaN (QuantileGate's empty score
    buffer slots)."""
    def eq(x, y):
        if x.is_floating_point():
            return torch.equal(x.isnan(), y.isnan()) and torch.equal(
                x.nan_to_num(0.), y.nan_to_num(0.))
        return torch.equal(x, y)
    return all(eq(a[k], b[k]) for k in a)


def grad_sum(module):
    return sum(
        float(p.grad.abs().sum()) for p in module.parameters()
        if p.grad is not None)



@pytest.fixture(autouse=True)
def fresh_message_hub(request):
    """A message hub without a runner's ``iter`` for every test."""
    MessageHub.get_instance(f'assgan_test_{request.node.name}')


# ----------------------------------------------------------------------
# training
# ----------------------------------------------------------------------
def test_train_step_logs_and_updates_all_networks():
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0, train_d_in_semi=True)
    assert isinstance(model, ASSGAN)
    before = {n: snapshot(getattr(model, n))
              for n in ('generator_a', 'generator_b', 'discriminator')}
    log = model.train_step(make_batch(2, 2), make_optim(model))
    for key in ('loss', 'gen_a.decode.loss_ce', 'gen_a.aux.loss_ce',
                'gen_b.decode.loss_ce', 'disc.loss_real', 'disc.loss_fake',
                'loss_adv_a', 'loss_adv_b', 'loss_semi_a', 'loss_semi_b',
                'accepted_a', 'accepted_b', 'num_unlabeled', 'score_a',
                'score_b', 'score_real'):
        assert key in log, key
    assert all(isinstance(v, float) for v in log.values())
    assert log['num_unlabeled'] == 2 and log['accepted_a'] == 2
    assert log['loss_adv_a'] > 0 and log['loss_semi_b'] > 0
    assert 0 <= log['score_real'] <= 1
    for name, snap in before.items():
        assert not same(snap, snapshot(getattr(model, name))), name
    assert sorted(model.last_accepted_ids['a']) == ['img2', 'img3']


def test_judge_only_discriminator_skips_the_adversarial_forward():
    """lambda_adv=0: D runs only in its own step and in the gate (no
    L_adv forward per generator), and the gate still scores every
    unlabeled prediction."""
    calls = {}
    for key, lambda_adv, semi_start in (('adv', 0.01, None),
                                        ('judge', 0.0, None),
                                        ('judge_semi', 0.0, 0)):
        torch.manual_seed(0)
        model = build(lambda_adv=lambda_adv, semi_start=semi_start,
                      train_d_in_semi=True)
        calls[key] = 0

        def count(*args, key=key):
            calls[key] += 1

        model.discriminator.register_forward_hook(count)
        log = model.train_step(make_batch(2, 2), make_optim(model))
        assert ('loss_adv_a' in log) == (lambda_adv > 0), key
    assert calls['adv'] - calls['judge'] == 2  # one per generator
    assert calls['judge_semi'] - calls['judge'] == 2  # the gate's, per gen.
    assert 'score_unlabeled_a' in log and 'score_unlabeled_b' in log


@pytest.mark.parametrize('out_channels', [1, 2])
def test_sigmoid_and_softmax_generators_learn(out_channels):
    """Both head kinds train: the supervised loss falls on a fixed batch."""
    torch.manual_seed(0)
    model = build(out_a=out_channels, out_b=out_channels, aux_a=False)
    optim = make_optim(model, lr=1e-2)
    logs = [model.train_step(make_batch(4, 0), optim) for _ in range(25)]
    for k in ('a', 'b'):
        first = logs[0][f'gen_{k}.decode.loss_ce']
        last = logs[-1][f'gen_{k}.decode.loss_ce']
        assert last < 0.8 * first, (k, first, last)


class RecordingOptimWrapper(OptimWrapper):
    """Records, around its own update, whether watched modules changed and
    whether its own parameters carried gradients before its backward."""

    def __init__(self, watch=(), **kwargs):
        super().__init__(**kwargs)
        self.watch = watch
        self.calls = []

    def update_params(self, loss, **kwargs):
        own = [p for g in self.optimizer.param_groups for p in g['params']]
        stale = sum(
            float(p.grad.abs().sum()) for p in own if p.grad is not None)
        before = [snapshot(m) for m in self.watch]
        self.backward(loss)
        grads = sum(
            float(p.grad.abs().sum()) for p in own if p.grad is not None)
        self.step()
        self.zero_grad()
        after = [snapshot(m) for m in self.watch]
        self.calls.append(
            dict(
                stale=stale,
                grads=grads,
                watched_unchanged=all(
                    same(b, a) for b, a in zip(before, after))))


def recording_optim(model, lr=1e-2):
    nets = {n: getattr(model, n)
            for n in ('generator_a', 'generator_b', 'discriminator')}
    wrappers = {}
    for name, module in nets.items():
        if module is None:
            continue
        others = [m for n, m in nets.items() if n != name and m is not None]
        wrappers[name] = RecordingOptimWrapper(
            watch=others,
            optimizer=torch.optim.SGD(module.parameters(), lr=lr))
    return OptimWrapperDict(**wrappers)


@pytest.mark.parametrize('adv_on_unlabeled', [False, True])
def test_gradient_isolation_between_g_and_d_steps(adv_on_unlabeled):
    torch.manual_seed(0)
    model = build(
        semi_start=0, gamma=0.0, adv_on_unlabeled=adv_on_unlabeled,
        train_d_in_semi=True)
    optim = recording_optim(model)
    d_before = snapshot(model.discriminator)
    model.train_step(make_batch(2, 2), optim)
    for name in ('generator_a', 'generator_b', 'discriminator'):
        calls = optim[name].calls
        assert len(calls) == 1, name
        # nothing leaked into this network's grads before its own step,
        # its step changed no other network, and it did get gradients.
        assert calls[0]['stale'] == 0, name
        assert calls[0]['watched_unchanged'], name
        assert calls[0]['grads'] > 0, name
    assert not same(d_before, snapshot(model.discriminator))
    assert all(p.requires_grad for p in model.discriminator.parameters())


def fixed_judge(scores_by_call):
    """A gate ``patch_scores`` replacement: a constant patch map per call
    (generator A is judged first, then B)."""
    calls = iter(scores_by_call)

    def patch_scores(disc, prob, image, threshold=0.5, d_logits=None):
        return torch.full((prob.size(0), 1, 4, 4), next(calls))

    return patch_scores


@pytest.mark.parametrize('giver,receiver', [('a', 'b'), ('b', 'a')])
def test_semi_loss_of_accepted_prediction_reaches_only_other_generator(
        monkeypatch, giver, receiver):
    """Only unlabeled images: A's accepted pseudo-labels train only B (and
    vice versa); the pseudo-label is the giver's own hard prediction."""
    torch.manual_seed(0)
    model = build(out_a=1, out_b=2, semi_start=0, gamma=0.5,
                  adv_on_unlabeled=False)
    # the gate judges generator_a first, then generator_b.
    scores = [0.9, 0.1] if giver == 'a' else [0.1, 0.9]
    monkeypatch.setattr(model.gate, 'patch_scores', fixed_judge(scores))
    captured = []
    orig = model._pseudo_samples
    monkeypatch.setattr(
        model, '_pseudo_samples',
        lambda s, labels: captured.append(labels.clone()) or orig(s, labels))

    batch = make_batch(0, 3)
    gen_giver = getattr(model, f'generator_{giver}')
    with torch.no_grad():
        data = model.data_preprocessor(copy.deepcopy(batch), True)
        expected = torch.stack([
            s.pred_sem_seg.data.long()
            for s in gen_giver.predict(data['inputs'])
        ])

    optim = recording_optim(model)
    log = model.train_step(batch, optim)
    assert log[f'accepted_{giver}'] == 3 and log[f'accepted_{receiver}'] == 0
    assert log[f'loss_semi_{receiver}'] > 0
    assert log[f'loss_semi_{giver}'] == 0
    assert [c['grads'] > 0 for c in optim[f'generator_{receiver}'].calls
            ] == [True]
    assert optim[f'generator_{giver}'].calls == []  # no loss, no update
    assert optim['discriminator'].calls == []  # no labeled images
    assert len(captured) == 1 and torch.equal(captured[0], expected)
    assert sorted(model.last_accepted_ids[giver]) == ['img0', 'img1', 'img2']
    assert model.last_accepted_ids[receiver] == []


@pytest.mark.parametrize('gate', ['image', 'pixel'])
def test_gamma_above_one_accepts_nothing_below_zero_everything(gate):
    torch.manual_seed(0)
    batch = make_batch(2, 3)
    model = build(semi_start=0, gate=gate, gamma=1.0)
    log = model.train_step(copy.deepcopy(batch), make_optim(model))
    assert log['accepted_a'] == 0 and log['accepted_b'] == 0
    assert log['loss_semi_a'] == 0 and log['loss_semi_b'] == 0
    assert model.last_accepted_ids == {'a': [], 'b': []}

    model.gamma = 0.0
    log = model.train_step(copy.deepcopy(batch), make_optim(model))
    assert log['accepted_a'] == 3 and log['accepted_b'] == 3
    assert log['loss_semi_a'] > 0 and log['loss_semi_b'] > 0


def test_pixel_gate_ignores_unconfident_pixels(monkeypatch):
    torch.manual_seed(0)
    model = build(semi_start=0, gate='pixel', gamma=0.5)

    def patch_scores(disc, prob, image, threshold=0.5, d_logits=None):
        conf = torch.zeros(prob.size(0), 1, *prob.shape[-2:])
        conf[..., :SIZE // 2] = 0.9  # confident on the left half only
        return conf

    monkeypatch.setattr(model.gate, 'patch_scores', patch_scores)
    captured = []
    orig = model._pseudo_samples
    monkeypatch.setattr(
        model, '_pseudo_samples',
        lambda s, labels: captured.append(labels.clone()) or orig(s, labels))
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert log['accepted_a'] == 2 and log['accepted_b'] == 2
    assert len(captured) == 2
    for labels in captured:
        assert (labels[..., SIZE // 2:] == 255).all()
        assert (labels[..., :SIZE // 2] <= 1).all()


def test_algorithm_2_leaves_d_untouched_by_default():
    """Algorithm 2 (line 15) updates G_1 and G_2 only: with the default
    train_d_in_semi=False, D's weights survive a semi step bit for bit."""
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0)
    disc = snapshot(model.discriminator)
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert same(snapshot(model.discriminator), disc)
    assert not any(k.startswith('disc.') for k in log)
    assert log['loss_semi_a'] > 0


def test_no_unlabeled_compute_before_semi_start():
    torch.manual_seed(0)
    model = build(semi_start=5, gamma=0.0)
    seen = {'generator_a': [], 'generator_b': [], 'discriminator': []}
    for name in ('generator_a', 'generator_b'):
        getattr(model, name).backbone.register_forward_pre_hook(
            lambda m, args, name=name: seen[name].append(args[0].size(0)))
    model.discriminator.register_forward_pre_hook(
        lambda m, args: seen['discriminator'].append(args[0].size(0)))

    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 4)  # the runner's iteration: before semi_start
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert seen['generator_a'] == [2] and seen['generator_b'] == [2]
    # G step: D(fake_a), D(fake_b); D step: D(real + fake_a + fake_b).
    assert seen['discriminator'] == [2, 2, 6]
    assert log['num_unlabeled'] == 0 and log['accepted_a'] == 0
    assert model.last_accepted_ids == {'a': [], 'b': []}

    for v in seen.values():
        v.clear()
    hub.update_info('iter', 5)
    log = model.train_step(make_batch(2, 3), make_optim(model))
    # labeled and unlabeled images in separate passes (own BN statistics)
    assert seen['generator_a'] == [2, 3] and seen['generator_b'] == [2, 3]
    assert log['num_unlabeled'] == 3 and log['accepted_a'] == 3
    for v in seen.values():
        v.clear()
    model.separate_unlabeled_forward = False
    model.train_step(make_batch(2, 3), make_optim(model))
    assert seen['generator_a'] == [5] and seen['generator_b'] == [5]
    model.separate_unlabeled_forward = True

    # the hook's phase attribute overrides semi_start
    for v in seen.values():
        v.clear()
    model.semi_enabled = False
    model.train_step(make_batch(2, 3), make_optim(model))
    assert seen['generator_a'] == [2]


def test_adv_on_unlabeled_feeds_unlabeled_fakes_to_d():
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0, adv_on_unlabeled=True,
                  train_d_in_semi=True)
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, args: seen.append(args[0].size(0)))
    model.train_step(make_batch(2, 3), make_optim(model))
    # G step: D(fake_a), D(fake_b) on 5 images each (scores reuse them);
    # D step: 2 real + 2 x 5 fakes.
    assert seen == [5, 5, 12]


def test_single_generator_ablation_trains():
    torch.manual_seed(0)
    model = build(two=False, semi_start=0, gamma=0.0)
    assert model.generator_b is None
    optim = make_optim(model)
    assert set(optim.keys()) == {'generator_a', 'discriminator'}
    log = model.train_step(make_batch(2, 2), optim)
    assert 'gen_b.loss' not in log and 'accepted_b' not in log
    # A's accepted predictions supervise A itself (Hung et al.).
    assert log['accepted_a'] == 2 and log['loss_semi_a'] > 0
    with pytest.raises(ValueError, match='generator_b'):
        model.predict_with = 'mean'


def test_no_discriminator_ablation_accepts_everything():
    torch.manual_seed(0)
    model = build(disc=False, semi_start=0, gamma=0.99)
    optim = make_optim(model)
    assert set(optim.keys()) == {'generator_a', 'generator_b'}
    log = model.train_step(make_batch(2, 2), optim)
    assert log['accepted_a'] == 2 and log['accepted_b'] == 2
    assert not any(k.startswith(('disc.', 'loss_adv', 'score'))
                   for k in log)


def test_single_generator_without_discriminator_is_supervised_baseline():
    torch.manual_seed(0)
    model = build(two=False, disc=False)
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert log['gen_a.decode.loss_ce'] > 0 and log['num_unlabeled'] == 0


# ----------------------------------------------------------------------
# prediction
# ----------------------------------------------------------------------
def _set_constant_output(gen, logit):
    """Make a generator predict the same logits everywhere."""
    conv = gen.decode_head.conv_seg
    nn.init.zeros_(conv.weight)
    with torch.no_grad():
        conv.bias.copy_(torch.as_tensor(logit, dtype=conv.bias.dtype))


def test_predict_with_variants():
    torch.manual_seed(0)
    model = build(out_a=1, out_b=2).eval()
    batch = make_batch(2, 0)
    data = model.data_preprocessor(copy.deepcopy(batch), False)

    for name in ('generator_a', 'generator_b'):
        model.predict_with = name
        ours = model.predict(data['inputs'], copy.deepcopy(
            data['data_samples']))
        theirs = getattr(model, name).predict(
            data['inputs'], copy.deepcopy(data['data_samples']))
        for o, t in zip(ours, theirs):
            assert torch.equal(o.pred_sem_seg.data, t.pred_sem_seg.data)
            assert torch.equal(o.seg_logits.data, t.seg_logits.data)

    # A: p(lesion) = sigmoid(0.85) ~ 0.70 everywhere; B: softmax -> 0.20.
    _set_constant_output(model.generator_a, [0.85])
    _set_constant_output(model.generator_b, [0.0, -1.386])
    model.predict_with = 'mean'
    out = model.val_step(copy.deepcopy(batch))
    a = model.generator_a.predict(data['inputs'],
                                  copy.deepcopy(data['data_samples']))
    for o, pa in zip(out, a):
        pred = o.pred_sem_seg.data
        assert pred.shape == (1, SIZE, SIZE)
        assert set(pred.unique().tolist()) <= {0, 1}
        assert (pred == 0).all()  # mean 0.45 < 0.5
        assert (pa.pred_sem_seg.data == 1).all()  # A alone says lesion
        prob = o.seg_logits.data.softmax(dim=0)[1]
        assert torch.allclose(prob, torch.full_like(prob, 0.45), atol=1e-3)
    # moving B up flips the mean
    _set_constant_output(model.generator_b, [0.0, 0.0])  # 0.5 -> mean 0.6
    out = model.test_step(copy.deepcopy(batch))
    assert all((o.pred_sem_seg.data == 1).all() for o in out)

    # tensor mode and encode_decode follow predict_with as well
    assert model(data['inputs'], mode='tensor').shape == (2, 2, SIZE, SIZE)
    model.predict_with = 'generator_a'
    assert torch.equal(
        model(data['inputs'], mode='tensor'),
        model.generator_a(data['inputs'], mode='tensor'))
    with pytest.raises(ValueError, match='predict_with'):
        model.predict_with = 'generator_c'


def test_state_dict_roundtrip(tmp_path):
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0)
    model.train_step(make_batch(2, 2), make_optim(model))
    path = tmp_path / 'assgan.pth'
    torch.save(model.state_dict(), path)
    keys = model.state_dict().keys()
    assert any(k.startswith('generator_a.') for k in keys)
    assert any(k.startswith('generator_b.') for k in keys)
    assert any(k.startswith('discriminator.') for k in keys)

    torch.manual_seed(123)
    other = build(semi_start=0, gamma=0.0)
    other.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    other.eval()
    batch = make_batch(2, 0, seed=3)
    for mode in ('generator_a', 'generator_b', 'mean'):
        model.predict_with = other.predict_with = mode
        o1 = model.val_step(copy.deepcopy(batch))
        o2 = other.val_step(copy.deepcopy(batch))
        for a, b in zip(o1, o2):
            assert torch.equal(a.seg_logits.data, b.seg_logits.data)
            assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)


def test_loss_mode_gives_generators_supervised_losses():
    model = build()
    data = model.data_preprocessor(make_batch(2, 0), True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert {'gen_a.decode.loss_ce', 'gen_a.aux.loss_ce',
            'gen_b.decode.loss_ce'} <= set(losses)


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------
def test_bad_configs_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='gate'):
        build(gate='patch')
    bad = gen_cfg()
    bad['decode_head']['num_classes'] = 3
    bad['decode_head']['out_channels'] = 3
    with pytest.raises(ValueError, match='binary'):
        build(generator_a=bad)
    with pytest.raises(ValueError, match='in_channels=1'):
        build(
            discriminator=dict(
                type='PatchDiscriminator', in_channels=2, base_channels=4))

    model = build()
    optim = make_optim(model)
    with pytest.raises(KeyError, match='discriminator'):
        model.train_step(
            make_batch(2, 0),
            OptimWrapperDict(
                generator_a=optim['generator_a'],
                generator_b=optim['generator_b']))
    batch = make_batch(2, 0)
    del batch['data_samples'][0].gt_sem_seg
    with pytest.raises(ValueError, match='labeled=False'):
        model.train_step(batch, optim)


def ddp_check(init_method: str, find_unused: bool) -> None:
    """Body of the DDP test below; runs in a child process, prints its
    progress so that the parent can tell where a hang happened."""
    import torch.distributed as dist
    from mmengine.model import MMSeparateDistributedDataParallel
    dist.init_process_group(
        'gloo', init_method=init_method, rank=0, world_size=1)
    print('INIT_OK', flush=True)
    try:
        torch.manual_seed(0)
        model = build(semi_start=0, gamma=0.0, train_d_in_semi=True)
        optim = make_optim(model)
        aux_before = snapshot(model.generator_a.auxiliary_head)
        wrapped = MMSeparateDistributedDataParallel(
            model, find_unused_parameters=find_unused)
        assert type(model.generator_a).__name__ == \
            'MMDistributedDataParallel'
        before = snapshot(model.discriminator)
        for _ in range(2):
            log = wrapped.train_step(make_batch(2, 2), optim)
        assert log['accepted_a'] == 2
        assert not same(before, snapshot(model.discriminator))
        assert not same(aux_before,
                        snapshot(model.generator_a.module.auxiliary_head))
        wrapped.eval()
        out = wrapped.val_step(make_batch(2, 0))
        assert out[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
    finally:
        dist.destroy_process_group()
    print('DDP_OK', flush=True)


@pytest.mark.parametrize('find_unused', [False, True])
def test_distributed_wrapper_single_process(find_unused):
    """MMSeparateDistributedDataParallel wraps each network; train_step and
    val_step work through it (1-process gloo group), the auxiliary head
    included (it runs inside the generator's DDP forward).

    The group lives in a child process with a time limit: a gloo rendezvous
    that never completes (seen once on a sandboxed CI machine) must not hang
    the suite. A hang before the group exists is the machine's (skip); one
    after it is ours (fail).
    """
    import os
    import socket
    import subprocess
    import sys
    if not torch.distributed.is_available():
        pytest.skip('torch.distributed unavailable')
    with socket.socket() as sock:  # a free port, so parallel runs don't clash
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    code = ('from tests.models.test_assgan import ddp_check; '
            f"ddp_check('tcp://127.0.0.1:{port}', {find_unused})")
    env = dict(os.environ, OMP_NUM_THREADS='1')
    try:
        proc = subprocess.run([sys.executable, '-c', code], cwd=repo,
                              env=env, capture_output=True, text=True,
                              timeout=240)
    except subprocess.TimeoutExpired as err:
        out = (err.stdout or b'')
        out = out.decode() if isinstance(out, bytes) else out
        if 'INIT_OK' not in out:
            pytest.skip('gloo could not form a 1-process group on this '
                        'machine within 240 s')
        raise AssertionError(f'DDP steps hung after the group formed:\n{out}')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert 'DDP_OK' in proc.stdout


def test_amp_optim_wrappers_autocast(monkeypatch):
    """AmpOptimWrapper sub-wrappers: forwards run under autocast (bf16 on
    CPU; CUDA fp16 in real runs) and the three steps still work."""
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    from mmengine.optim import AmpOptimWrapper
    monkeypatch.setattr(amp_module, 'is_cuda_available', lambda: True)
    torch.manual_seed(0)
    model = build(semi_start=0, gamma=0.0, adv_on_unlabeled=True,
                  train_d_in_semi=True)
    dtypes = []
    model.generator_a.backbone.register_forward_hook(
        lambda m, args, out: dtypes.append(out[-1].dtype))
    optim = make_optim(model, cls=AmpOptimWrapper, dtype='bfloat16')
    before = snapshot(model.discriminator)
    log = model.train_step(make_batch(2, 2), optim)
    assert set(dtypes) == {torch.bfloat16}  # labeled + unlabeled passes
    assert all(torch.isfinite(torch.tensor(v)) for v in log.values())
    assert log['accepted_a'] == 2 and log['loss_semi_b'] > 0
    assert not same(before, snapshot(model.discriminator))


def test_paper_generators_deeplabv3plus_and_pspnet():
    """The paper's pair (DeepLabV3+ and PSPNet, here on a tiny dilated
    ResNetV1c with FCN auxiliary heads, 1-channel sigmoid outputs) builds
    from full mmseg segmentor configs and trains one semi step."""
    norm = dict(type='BN', requires_grad=True)
    backbone = dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=8,
        base_channels=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm,
        contract_dilation=True)
    sigmoid_ce = dict(type='CrossEntropyLoss', use_sigmoid=True)
    aux = dict(
        type='FCNHead', in_channels=32, in_index=2, channels=8, num_convs=1,
        concat_input=False, num_classes=2, out_channels=1, threshold=0.5,
        norm_cfg=norm, loss_decode=dict(sigmoid_ce, loss_weight=0.4))
    preproc = dict(type='SegDataPreProcessor', size=(SIZE, SIZE))
    deeplab = dict(
        type='EncoderDecoder',
        data_preprocessor=preproc,  # dropped: ASSGAN preprocesses once
        backbone=backbone,
        decode_head=dict(
            type='DepthwiseSeparableASPPHead', in_channels=64, in_index=3,
            channels=16, dilations=(1, 12, 24, 36), c1_in_channels=8,
            c1_channels=8, num_classes=2, out_channels=1, threshold=0.5,
            norm_cfg=norm, loss_decode=sigmoid_ce),
        auxiliary_head=aux,
        test_cfg=dict(mode='whole'))
    pspnet = dict(
        type='EncoderDecoder',
        data_preprocessor=preproc,
        backbone=backbone,
        decode_head=dict(
            type='PSPHead', in_channels=64, in_index=3, channels=16,
            pool_scales=(1, 2, 3, 6), num_classes=2, out_channels=1,
            threshold=0.5, norm_cfg=norm, loss_decode=sigmoid_ce),
        auxiliary_head=aux)
    torch.manual_seed(0)
    model = build(
        generator_a=deeplab, generator_b=pspnet, semi_start=0, gamma=0.0)
    assert type(model.generator_a.decode_head).__name__ == \
        'DepthwiseSeparableASPPHead'
    assert model.generator_b.test_cfg.mode == 'whole'  # filled in
    log = model.train_step(make_batch(2, 2), make_optim(model))
    for key in ('gen_a.decode.loss_ce', 'gen_a.aux.loss_ce',
                'gen_b.decode.loss_ce', 'gen_b.aux.loss_ce',
                'loss_semi_a', 'loss_semi_b'):
        assert log[key] > 0, key
    model.eval()
    model.predict_with = 'mean'
    out = model.val_step(make_batch(1, 0))
    assert out[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
