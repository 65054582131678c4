"""Tests of the ASSGAN segmentor (bus_mm/models/segmentors/assgan.py).

Tiny generators (a 2-conv backbone registered here + FCN heads with 4
channels) on 32x32 images keep every test to CPU seconds. The helpers
(``build``, ``make_batch``, ``make_optim``, ``snapshot``, ``same``) serve the
other ASSGAN test files too.
"""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.structures import PixelData

import bus_mm  # noqa: F401  (registers ASSGAN, PatchDiscriminator)
import bus_mm.models.segmentors.assgan as assgan_module
from bus_mm.models.gates import (GateDecision, TrustGate, hard_labels,
                                 mask_agreement)
from bus_mm.models.segmentors.assgan import ASSGAN
from bus_mm.models.segmentors.assgan_state import StrongView
from bus_mm.models.utils import StrongPerturbation
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

from tests.models.tiny_segmentor import segmentor_cfg  # noqa: E402

register_all_modules(init_default_scope=True)
SIZE = 32
GENS = ('generator_a', 'generator_b')
NETS = GENS + ('discriminator', )


@MODELS.register_module(force=True)
class FixedTestGate(TrustGate):
    """A gate whose weights the test sets per generator (default 1), score
    0.5 for every prediction; pseudo-labels as every gate makes them."""

    def __init__(self, weights=None):
        super().__init__(gamma=0.)
        self.weights = dict(weights or {})

    def judge(self, probs, thresholds, valid, d_scores=None):
        return {
            name: GateDecision(
                torch.full((len(prob), ), 0.5),
                torch.as_tensor(self.weights.get(name, [1.] * len(prob)),
                                dtype=torch.float),
                hard_labels(prob, valid, thresholds[name]))
            for name, prob in probs.items()
        }


class ScaledView(StrongPerturbation):
    """A known "strong view": the preprocessed images times ``scale``, no
    CutMix box."""

    def __init__(self, scale=0.5):
        super().__init__()
        self.scale = scale

    def __call__(self, inputs, mean=None, std=None):
        n = len(inputs)
        return (inputs * self.scale, torch.arange(n),
                torch.zeros(n, 1, *inputs.shape[-2:], dtype=torch.bool))


def gen_cfg(out_channels=1, aux=False, dropout=0.1):
    return segmentor_cfg(out_channels, aux, dropout)


def build(out_a=1, out_b=2, aux_a=True, two=True, disc=True, semi=False,
          dropout=0.1, **kwargs):
    """A tiny ASSGAN with D as a shape prior (L_adv 0.01), the agreement
    rank gate and the strong view, so that every mechanism runs. ``disc=False`` also switches
    L_adv and D's step off, ``two=False`` defaults the gate to
    AcceptAllGate (AgreementGate needs a pair); ``semi_train_cfg`` entries
    are merged into those; ``semi=True`` starts in the semi-supervised
    phase."""
    semi_cfg = dict(lambda_adv=0.01) if disc else dict(
        lambda_adv=0., train_d_in_semi=False)
    semi_cfg['strong_aug'] = dict(type='StrongPerturbation')
    semi_cfg.update(kwargs.pop('semi_train_cfg', None) or {})
    cfg = dict(
        type='ASSGAN',
        generator_a=gen_cfg(out_a, aux_a, dropout),
        generator_b=gen_cfg(out_b, dropout=dropout) if two else None,
        discriminator=dict(type='PatchDiscriminator', in_channels=4,
                           base_channels=4) if disc else None,
        semi_train_cfg=semi_cfg,
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[0., 0., 0.],
            std=[255., 255., 255.],
            size=(SIZE, SIZE)))
    cfg['gate'] = dict(type='AgreementGate', gamma=0.2, weighting='rank') \
        if two else dict(type='AcceptAllGate')
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.semi_enabled = semi
    return model


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
    for name in NETS:
        module = getattr(model, name)
        if module is not None:
            wrappers[name] = cls(
                optimizer=torch.optim.Adam(module.parameters(), lr=lr),
                **kwargs)
    return OptimWrapperDict(**wrappers)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    """Equal state dicts; NaN equals NaN (empty slots of a gate's score
    bank)."""
    def eq(x, y):
        if x.is_floating_point():
            return torch.equal(x.isnan(), y.isnan()) and torch.equal(
                x.nan_to_num(0.), y.nan_to_num(0.))
        return torch.equal(x, y)
    return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)


def capture_semi_loss(monkeypatch):
    """Record every call of L_semi in ASSGAN (receiver, logits, labels,
    weights) and still compute it."""
    calls = []
    orig = assgan_module.semi_loss

    def spy(gen, logits, samples, labels, weights, lambda_semi=1.0):
        calls.append(dict(gen=gen, logits=logits.detach().clone(),
                          labels=labels.clone(), weights=weights.clone(),
                          ids=[s.metainfo['sample_id'] for s in samples]))
        return orig(gen, logits, samples, labels, weights, lambda_semi)

    monkeypatch.setattr(assgan_module, 'semi_loss', spy)
    return calls


def capture_outputs(model, monkeypatch):
    """Record the GeneratorOutputs of every ``forward_generators`` call."""
    seen = []
    forward = model.forward_generators

    def spy(batch, optim_wrapper):
        outs = forward(batch, optim_wrapper)
        seen.append((batch, outs))
        return outs

    monkeypatch.setattr(model, 'forward_generators', spy)
    return seen


def capture_views(monkeypatch):
    """Record every StrongView ASSGAN makes."""
    views = []
    make = StrongView.make.__func__

    def spy(cls, *args, **kwargs):
        view = make(cls, *args, **kwargs)
        views.append(view)
        return view

    monkeypatch.setattr(StrongView, 'make', classmethod(spy))
    return views


@pytest.fixture(autouse=True)
def fresh_message_hub(request):
    """A message hub without a runner's ``iter`` for every test."""
    MessageHub.get_instance(f'assgan_test_{request.node.name}')


# ----------------------------------------------------------------------
# the shipped defaults
# ----------------------------------------------------------------------
def test_class_defaults_are_the_shipped_default():
    model = MODELS.build(dict(type='ASSGAN', generator_a=gen_cfg(),
                              generator_b=gen_cfg(2)))
    assert type(model.discriminator).__name__ == 'PatchDiscriminator'
    assert model.discriminator.in_channels == 4
    assert model.discriminator.base_channels == 32
    # the agreement rank judges, D is a shape prior (L_adv 0.01)
    assert type(model.gate).__name__ == 'AgreementGate'
    assert model.gate.gamma == 0.2 and model.gate.weighting == 'rank'
    assert not model.gate.needs_discriminator
    cfg = model.semi_train_cfg
    assert (cfg.lambda_semi, cfg.lambda_adv) == (1.0, 0.01)
    assert cfg.adv_warmup and cfg.adv_on_unlabeled and cfg.train_d_in_semi
    assert cfg.d_input == dict(binarize=True, with_image=True)
    assert model.d_view.binarize and model.d_view.with_image
    assert model.strong_aug is None  # the receiver learns on the teacher's view
    assert model.semi_enabled is False
    assert model.predict_with == 'generator_a'


# ----------------------------------------------------------------------
# training
# ----------------------------------------------------------------------
def test_train_step_logs_and_updates_all_networks():
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0))
    assert isinstance(model, ASSGAN)
    before = {n: snapshot(getattr(model, n)) for n in NETS}
    log = model.train_step(make_batch(2, 2), make_optim(model))
    for key in ('loss', 'gen_a.decode.loss_ce', 'gen_a.aux.loss_ce',
                'gen_b.decode.loss_ce', 'gen_a.loss', 'gen_b.loss',
                'disc.loss_real', 'disc.loss_fake', 'loss_adv_a',
                'loss_adv_b', 'loss_semi_a', 'loss_semi_b', 'accepted_a',
                'accepted_b', 'num_unlabeled', 'score_a', 'score_b',
                'score_real', 'score_unlabeled_a', 'score_unlabeled_b',
                'pair_iou', 'gate_threshold'):
        assert key in log, key
    assert 'loss_d' not in log and 'loss_generators' not in log
    assert all(isinstance(v, float) for v in log.values())
    assert log['num_unlabeled'] == 2 and log['accepted_a'] == 2
    assert log['loss_adv_a'] > 0 and log['loss_semi_b'] > 0
    assert 0 <= log['score_real'] <= 1 and 0 <= log['pair_iou'] <= 1
    assert log['loss'] == pytest.approx(
        log['gen_a.loss'] + log['gen_b.loss'] + log['disc.loss_real'] +
        log['disc.loss_fake'], rel=1e-5)
    for name, snap in before.items():
        assert not same(snap, snapshot(getattr(model, name))), name
    assert sorted(model.last_accepted_ids['a']) == ['img2', 'img3']
    assert sorted(model.last_accepted_ids['b']) == ['img2', 'img3']


def test_supervised_phase_logs_no_gate_values():
    torch.manual_seed(0)
    model = build()  # semi_enabled False: Algorithm 1
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert log['num_unlabeled'] == 0
    for key in ('accepted_a', 'accepted_b', 'loss_semi_a', 'pair_iou',
                'gate_threshold', 'score_unlabeled_a'):
        assert key not in log, key
    # adv_warmup: L_adv is off in the supervised phase, D still learns
    assert 'loss_adv_a' not in log and log['disc.loss_real'] > 0
    assert model.last_accepted_ids == {'a': [], 'b': []}


def test_only_unlabeled_samples_in_the_supervised_phase_train_nothing():
    torch.manual_seed(0)
    model = build()
    before = {n: snapshot(getattr(model, n)) for n in NETS}
    log = model.train_step(make_batch(0, 3), make_optim(model))
    assert log == {'num_unlabeled': 0.}
    for name, snap in before.items():
        assert same(snap, snapshot(getattr(model, name))), name


@pytest.mark.parametrize('lambda_adv,adv_on_unlabeled,semi,expected', [
    # supervised phase (adv_warmup=False): 2 L_adv forwards + D's step
    (0.01, True, False, [(2, True), (2, True), (6, True)]),
    (0.0, True, False, [(6, True)]),
    # semi phase, L_adv on labeled + unlabeled fakes: the gate reuses them
    (0.01, True, True, [(5, True), (5, True), (12, True)]),
    # L_adv on labeled fakes only: the gate scores the unlabeled ones
    (0.01, False, True, [(2, True), (2, True), (3, False), (3, False),
                         (6, True)]),
    # D a judge only: no L_adv forward, the gate's without gradients
    (0.0, True, True, [(3, False), (3, False), (12, True)]),
])
def test_discriminator_forwards(lambda_adv, adv_on_unlabeled, semi,
                                expected):
    """Which D forwards a step runs: L_adv's (with gradients), the gate's
    scoring (reusing L_adv's forward when it covered the unlabeled images,
    else without gradients) and D's own step."""
    torch.manual_seed(0)
    model = build(
        semi=semi, gate=dict(type='DiscriminatorGate', gamma=0.0),
        semi_train_cfg=dict(lambda_adv=lambda_adv, adv_warmup=False,
                            adv_on_unlabeled=adv_on_unlabeled,
                            strong_aug=None))
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, args: seen.append((args[0].size(0),
                                     torch.is_grad_enabled())))
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert seen == expected
    assert ('loss_adv_a' in log) == (lambda_adv > 0)
    assert ('score_unlabeled_a' in log) == semi
    if semi:
        assert log['accepted_a'] == 3 and log['accepted_b'] == 3


def test_gate_scores_are_ds_mean_patch_scores_of_the_unlabeled_masks(
        monkeypatch):
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='DiscriminatorGate', gamma=0.5),
                  semi_train_cfg=dict(strong_aug=None, lambda_adv=0.,
                                      train_d_in_semi=False))
    judged = []
    judge = model.gate.judge
    monkeypatch.setattr(
        model.gate, 'judge',
        lambda *args: judged.append(args) or judge(*args))
    outs = capture_outputs(model, monkeypatch)
    ref = copy.deepcopy(model.discriminator)
    data = model.data_preprocessor(make_batch(2, 3), True)
    model.train_step(make_batch(2, 3), make_optim(model))
    (batch, out), = outs
    probs, thresholds, valid, d_scores = judged[0]
    assert list(probs) == list(GENS) and list(d_scores) == list(GENS)
    for name in GENS:
        assert torch.equal(probs[name], out[name].prob[2:])
        with torch.no_grad():
            x = torch.cat([data['inputs'][2:],
                           (out[name].prob[2:] > 0.5).float()], dim=1)
            want = ref(x).sigmoid().mean((1, 2, 3))
        assert torch.allclose(d_scores[name], want, atol=1e-6)


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
    nets = {n: getattr(model, n) for n in NETS}
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
@pytest.mark.parametrize('strong', [False, True])
def test_gradient_isolation_between_g_and_d_steps(adv_on_unlabeled, strong):
    torch.manual_seed(0)
    strong_aug = dict(type='StrongPerturbation', cutmix_prob=0.) \
        if strong else None
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0),
                  semi_train_cfg=dict(adv_on_unlabeled=adv_on_unlabeled,
                                      strong_aug=strong_aug))
    optim = recording_optim(model)
    d_before = snapshot(model.discriminator)
    model.train_step(make_batch(2, 2), optim)
    for name in NETS:
        calls = optim[name].calls
        assert len(calls) == 1, name
        # nothing leaked into this network's grads before its own step,
        # its step changed no other network, and it did get gradients.
        assert calls[0]['stale'] == 0, name
        assert calls[0]['watched_unchanged'], name
        assert calls[0]['grads'] > 0, name
    assert not same(d_before, snapshot(model.discriminator))
    assert all(p.requires_grad for p in model.discriminator.parameters())


@pytest.mark.parametrize('giver,receiver', [('a', 'b'), ('b', 'a')])
def test_semi_loss_of_accepted_prediction_reaches_only_other_generator(
        monkeypatch, giver, receiver):
    """Only unlabeled images: A's accepted pseudo-labels train only B (and
    vice versa); the pseudo-label is the giver's own hard prediction."""
    torch.manual_seed(0)
    weights = {f'generator_{giver}': [1., 1., 1.],
               f'generator_{receiver}': [0., 0., 0.]}
    model = build(out_a=1, out_b=2, disc=False, semi=True, dropout=0.,
                  gate=dict(type='FixedTestGate', weights=weights),
                  semi_train_cfg=dict(strong_aug=None))
    calls = capture_semi_loss(monkeypatch)
    batch = make_batch(0, 3)
    gen_giver = getattr(model, f'generator_{giver}')
    gen_receiver = getattr(model, f'generator_{receiver}')
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
    # the receiver learns the giver's hard masks (the other call, the
    # rejected teacher's, carries weight 0 and yields no loss)
    taught = [c for c in calls if c['weights'].sum() > 0]
    assert len(taught) == 1 and taught[0]['gen'] is gen_receiver
    assert torch.equal(taught[0]['labels'], expected)
    assert sorted(model.last_accepted_ids[giver]) == ['img0', 'img1', 'img2']
    assert model.last_accepted_ids[receiver] == []


def test_soft_weights_reach_l_semi(monkeypatch):
    torch.manual_seed(0)
    weights = {'generator_a': [1., 0.5, 0.], 'generator_b': [0.25, 0., 0.]}
    model = build(disc=False, semi=True,
                  gate=dict(type='FixedTestGate', weights=weights),
                  semi_train_cfg=dict(strong_aug=None))
    calls = capture_semi_loss(monkeypatch)
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert log['accepted_a'] == 2 and log['accepted_b'] == 1
    assert calls[0]['gen'] is model.generator_b  # A teaches B first
    assert calls[0]['weights'].tolist() == [1., 0.5, 0.]
    assert calls[1]['gen'] is model.generator_a
    assert calls[1]['weights'].tolist() == [0.25, 0., 0.]
    assert model.last_accepted_ids == {'a': ['img2', 'img3'],
                                       'b': ['img2']}


@pytest.mark.parametrize('gate', [
    dict(type='AgreementGate', weighting='cut'),
    dict(type='AgreementGate', weighting='rank'),
    dict(type='DiscriminatorGate'),
    dict(type='DiscriminatorGate', quantile=True),
])
def test_gamma_one_accepts_nothing_zero_everything(gate):
    torch.manual_seed(0)
    batch = make_batch(2, 3)
    model = build(semi=True, gate=dict(gate, gamma=1.0))
    log = model.train_step(copy.deepcopy(batch), make_optim(model))
    assert log['accepted_a'] == 0 and log['accepted_b'] == 0
    assert log['loss_semi_a'] == 0 and log['loss_semi_b'] == 0
    assert model.last_accepted_ids == {'a': [], 'b': []}

    model.gate.gamma = 0.0
    log = model.train_step(copy.deepcopy(batch), make_optim(model))
    assert log['accepted_a'] == 3 and log['accepted_b'] == 3
    assert log['loss_semi_a'] > 0 and log['loss_semi_b'] > 0


@pytest.mark.parametrize('train_d_in_semi', [False, True])
def test_d_learns_in_algorithm_2_only_with_train_d_in_semi(
        train_d_in_semi):
    """Algorithm 2 (line 15) updates G_1 and G_2 only: with
    train_d_in_semi=False, D's weights survive a semi step bit for bit."""
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0),
                  semi_train_cfg=dict(train_d_in_semi=train_d_in_semi))
    disc = snapshot(model.discriminator)
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert same(snapshot(model.discriminator), disc) != train_d_in_semi
    assert any(k.startswith('disc.') for k in log) == train_d_in_semi
    assert log['loss_semi_a'] > 0
    model.semi_enabled = False  # Algorithm 1: D learns in any case
    log = model.train_step(make_batch(2, 2), make_optim(model))
    assert 'disc.loss_real' in log
    assert not same(snapshot(model.discriminator), disc)


def test_no_unlabeled_compute_in_the_supervised_phase():
    torch.manual_seed(0)
    model = build(gate=dict(type='AgreementGate', gamma=0.0),
                  semi_train_cfg=dict(strong_aug=None, adv_warmup=False))
    seen = {'generator_a': [], 'generator_b': [], 'discriminator': []}
    for name in GENS:
        getattr(model, name).backbone.register_forward_pre_hook(
            lambda m, args, name=name: seen[name].append(args[0].size(0)))
    model.discriminator.register_forward_pre_hook(
        lambda m, args: seen['discriminator'].append(args[0].size(0)))

    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert seen['generator_a'] == [2] and seen['generator_b'] == [2]
    # G step: D(fake_a), D(fake_b); D step: D(real + fake_a + fake_b).
    assert seen['discriminator'] == [2, 2, 6]
    assert log['num_unlabeled'] == 0
    assert model.last_accepted_ids == {'a': [], 'b': []}

    for v in seen.values():
        v.clear()
    model.semi_enabled = True  # what ASSGANHook sets
    log = model.train_step(make_batch(2, 3), make_optim(model))
    # labeled and unlabeled images in separate passes (own BN statistics)
    assert seen['generator_a'] == [2, 3] and seen['generator_b'] == [2, 3]
    assert log['num_unlabeled'] == 3 and log['accepted_a'] > 0


def test_adv_on_unlabeled_feeds_unlabeled_fakes_to_d():
    """Without a strong view, the unlabeled weak predictions are fakes."""
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0),
                  semi_train_cfg=dict(strong_aug=None))
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, args: seen.append(args[0].size(0)))
    model.train_step(make_batch(2, 3), make_optim(model))
    # G step: D(fake_a), D(fake_b) on 5 images each;
    # D step: 2 real + 2 x 5 fakes.
    assert seen == [5, 5, 12]


# ----------------------------------------------------------------------
# the strong view (weak-to-strong)
# ----------------------------------------------------------------------
def test_receiver_learns_on_the_strong_view(monkeypatch):
    torch.manual_seed(0)
    model = build(semi=True, dropout=0., disc=False,
                  gate=dict(type='AgreementGate', gamma=0.0))
    model.strong_aug = ScaledView(0.5)
    ref = copy.deepcopy(model)
    calls = capture_semi_loss(monkeypatch)
    outs = capture_outputs(model, monkeypatch)
    batch = make_batch(2, 3)
    with torch.no_grad():
        x = ref.data_preprocessor(copy.deepcopy(batch), True)['inputs'][2:]
        strong = {n: getattr(ref, n)(x * 0.5, None, mode='tensor')
                  for n in GENS}
        weak = {n: getattr(ref, n)(x, None, mode='tensor') for n in GENS}
    model.train_step(batch, make_optim(model))
    assert [c['gen'] for c in calls] == [model.generator_b,
                                         model.generator_a]
    (_, out), = outs
    for call, receiver, giver in zip(calls, ('generator_b', 'generator_a'),
                                     GENS):
        # the receiver's logits are its prediction on the strong view ...
        assert torch.allclose(call['logits'], strong[receiver], atol=1e-6)
        assert not torch.allclose(call['logits'], weak[receiver])
        # ... of the giver's pseudo-labels on the weak view
        assert torch.equal(call['labels'],
                           (out[giver].prob[2:] > 0.5).long())
        assert torch.allclose(out[giver].logits[2:], weak[giver],
                              atol=1e-6)


@pytest.mark.parametrize('strong', [True, False])
def test_weak_unlabeled_pass_runs_without_gradients(strong):
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0),
                  semi_train_cfg=None if strong else dict(strong_aug=None))
    seen = {n: [] for n in GENS}
    for name in GENS:
        getattr(model, name).backbone.register_forward_hook(
            lambda m, args, out, name=name: seen[name].append(
                (args[0].size(0), torch.is_grad_enabled())))
    model.train_step(make_batch(2, 3), make_optim(model))
    if strong:
        # labeled, weak unlabeled (teaches only), strong unlabeled (learns)
        want = [(2, True), (3, False), (3, True)]
    else:
        want = [(2, True), (3, True)]
    assert seen == {n: want for n in GENS}


def test_weak_pass_without_labeled_samples_runs_without_gradients():
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0))
    seen = []
    model.generator_a.backbone.register_forward_hook(
        lambda m, args, out: seen.append(
            (args[0].size(0), torch.is_grad_enabled())))
    model.train_step(make_batch(0, 3), make_optim(model))
    assert seen == [(3, False), (3, True)]


def test_pair_iou_is_the_agreement_of_the_hard_masks(monkeypatch):
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0))
    outs = capture_outputs(model, monkeypatch)
    log = model.train_step(make_batch(2, 3), make_optim(model))
    (batch, out), = outs
    masks = [out[n].prob[2:] > out[n].threshold for n in GENS]
    want = mask_agreement(*masks, batch.valid[2:], 1.).mean()
    assert log['pair_iou'] == pytest.approx(float(want))
    # one generator: nothing to agree with
    single = build(two=False, semi=True)
    assert 'pair_iou' not in single.train_step(make_batch(2, 3),
                                               make_optim(single))


def test_strong_view_mixes_pseudo_labels_with_the_images(monkeypatch):
    """CutMix of the strong view pastes the pseudo-labels with the image
    boxes, and pixels pasted from a rejected image are ignored."""
    torch.manual_seed(0)
    weights = {'generator_a': [1., 0., 1.], 'generator_b': [0., 0., 0.]}
    model = build(semi=True, disc=False,
                  gate=dict(type='FixedTestGate', weights=weights),
                  semi_train_cfg=dict(strong_aug=dict(
                      type='StrongPerturbation', intensity_prob=0.,
                      blur_prob=0., speckle_prob=0., cutmix_prob=1.)))
    calls = capture_semi_loss(monkeypatch)
    views = capture_views(monkeypatch)
    outs = capture_outputs(model, monkeypatch)
    model.train_step(make_batch(2, 3), make_optim(model))
    (view, ), ((batch, out), ) = views, outs
    call = [c for c in calls if c['gen'] is model.generator_b][0]
    weak = (out['generator_a'].prob[2:] > 0.5).long()
    mixed = torch.where(view.box, weak[view.source], weak)
    from_rejected = torch.where(
        view.box, torch.tensor([1, 0, 1])[view.source].view(-1, 1, 1, 1),
        torch.tensor([1, 0, 1]).view(-1, 1, 1, 1)) == 0
    assert view.box.flatten(1).any(1).all()  # cutmix_prob 1: every image
    assert (view.source != torch.arange(3)).all()
    assert torch.equal(call['labels'][~from_rejected],
                       mixed[~from_rejected])
    assert (call['labels'][from_rejected] == 255).all()
    # the weight of an image: the mean weight of its kept pixels
    for i in range(3):
        kept = (~from_rejected[i]).sum()
        assert call['weights'][i] == (1. if kept > 0 else 0.)


@pytest.mark.parametrize('adv_on_unlabeled,cutmix_prob,expected', [
    (True, 0., [2, 2, 3, 3, 12]),   # unboxed strong-view fakes: 3 + 3
    (True, 1., [2, 2, 6]),          # every image got a box: none
    (False, 0., [2, 2, 6]),
])
def test_strong_view_fakes_reach_d(monkeypatch, adv_on_unlabeled,
                                   cutmix_prob, expected):
    """With adv_on_unlabeled, each receiver's strong-view predictions of
    the images that got no CutMix box are fakes: L_adv sees them (one D
    forward per receiver) and D's step learns them after the labeled
    fakes."""
    torch.manual_seed(0)
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0),
                  semi_train_cfg=dict(
                      adv_on_unlabeled=adv_on_unlabeled,
                      strong_aug=dict(type='StrongPerturbation',
                                      cutmix_prob=cutmix_prob)))
    views = capture_views(monkeypatch)
    seen = []
    model.discriminator.register_forward_pre_hook(
        lambda m, args: seen.append((args[0].detach().clone(),
                                     torch.is_grad_enabled())))
    log = model.train_step(make_batch(2, 3), make_optim(model))
    assert [x.size(0) for x, _ in seen] == expected
    assert all(grad for _, grad in seen)
    assert log['loss_adv_a'] > 0 and log['loss_adv_b'] > 0
    view, = views
    d_step = seen[-1][0]
    if expected[-1] == 12:
        # L_adv of each receiver on its strong-view predictions ...
        for x, _ in seen[2:4]:
            assert torch.equal(x[:, :3], view.x)
            assert set(x[:, 3].unique().tolist()) <= {0., 1.}
        # ... and D learns them as fakes, after the labeled ones
        assert torch.equal(d_step[6:9, :3], view.x)
        assert torch.equal(d_step[9:12, :3], view.x)
        # (B, taught by A, judged first; D's step lists A's fakes first)
        assert torch.equal(d_step[6:9], seen[3][0])
        assert torch.equal(d_step[9:12], seen[2][0])
    else:
        data = model.data_preprocessor(make_batch(2, 3), True)
        assert torch.equal(d_step[:, :3],
                           data['inputs'][:2].repeat(3, 1, 1, 1))


# ----------------------------------------------------------------------
# ablations and the property the paired studies rely on
# ----------------------------------------------------------------------
def test_single_generator_ablation_trains():
    torch.manual_seed(0)
    model = build(two=False, semi=True)
    assert model.generator_b is None
    optim = make_optim(model)
    assert set(optim.keys()) == {'generator_a', 'discriminator'}
    log = model.train_step(make_batch(2, 2), optim)
    assert 'gen_b.loss' not in log and 'accepted_b' not in log
    assert 'pair_iou' not in log
    # A's accepted predictions supervise A itself (Hung et al.).
    assert log['accepted_a'] == 2 and log['loss_semi_a'] > 0
    with pytest.raises(ValueError, match='generator_b'):
        model.predict_with = 'mean'


def test_no_discriminator_with_the_accept_all_gate_accepts_everything():
    torch.manual_seed(0)
    model = build(disc=False, semi=True, gate=dict(type='AcceptAllGate'))
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


def test_supervised_phase_with_d_equals_no_d_under_adv_warmup():
    """With adv_warmup (the default), the supervised phase with D trains the
    generators bit for bit as a model without D (same seed, same batches):
    the full-width study compares the two after that phase. Without the
    warmup L_adv changes them."""
    models, d_init = {}, None
    for key, kwargs in (
            ('d', {}), ('no_d', dict(disc=False)),
            ('d_no_warmup', dict(semi_train_cfg=dict(adv_warmup=False)))):
        torch.manual_seed(0)
        model = build(**kwargs)
        if key == 'd':
            d_init = snapshot(model.discriminator)
        optim = make_optim(model)
        for step in range(3):
            model.train_step(make_batch(2, 2, seed=step), optim)
        models[key] = model
    for name in GENS:
        ref = snapshot(getattr(models['no_d'], name))
        assert same(snapshot(getattr(models['d'], name)), ref), name
        assert not same(snapshot(getattr(models['d_no_warmup'], name)),
                        ref), name
    # D did learn beside them
    assert not same(d_init, snapshot(models['d'].discriminator))


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

    for name in GENS:
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
    model = build(semi=True)
    model.train_step(make_batch(2, 2), make_optim(model))
    path = tmp_path / 'assgan.pth'
    torch.save(model.state_dict(), path)
    keys = model.state_dict().keys()
    assert any(k.startswith('generator_a.') for k in keys)
    assert any(k.startswith('generator_b.') for k in keys)
    assert any(k.startswith('discriminator.') for k in keys)
    # the agreement gate's score bank travels with the checkpoint
    assert {'gate.recent.bank', 'gate.recent.bank_ptr'} <= set(keys)
    assert torch.isfinite(model.gate.recent.bank).sum() == 4

    torch.manual_seed(123)
    other = build()
    other.load_state_dict(torch.load(path, weights_only=True))
    assert same(other.state_dict(), model.state_dict())
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
@pytest.mark.parametrize('kwargs,match', [
    (dict(semi_train_cfg=dict(lamda_adv=0.1)), 'lamda_adv'),
    (dict(semi_train_cfg=dict(lambda_semi=-1.)), 'semi_train_cfg.lambda_semi'),
    (dict(semi_train_cfg=dict(lambda_adv=-0.01)),
     'semi_train_cfg.lambda_adv'),
    (dict(semi_train_cfg=dict(d_input=dict(soft=True))), 'd_input'),
    (dict(disc=False, gate=dict(type='DiscriminatorGate')),
     'model.discriminator'),
    (dict(disc=False, semi_train_cfg=dict(lambda_adv=0.01)),
     'semi_train_cfg.lambda_adv'),
    (dict(disc=False, semi_train_cfg=dict(train_d_in_semi=True)),
     'semi_train_cfg.train_d_in_semi'),
    (dict(two=False, gate=dict(type='AgreementGate')), 'generator_b'),
    (dict(gate=dict(type='AgreementGate', gamma=1.5)), 'gamma'),
    (dict(gate=dict(type='AgreementGate', weighting='soft')), 'weighting'),
    (dict(discriminator=dict(type='PatchDiscriminator', in_channels=1,
                             base_channels=4)),
     'model.discriminator.in_channels'),
    (dict(discriminator=dict(type='PatchDiscriminator', in_channels=4,
                             base_channels=4),
          semi_train_cfg=dict(d_input=dict(with_image=False))),
     'model.discriminator.in_channels=1'),
])
def test_bad_settings_are_refused_naming_the_option(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_bad_configs_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='ASSGAN: model.gate: patch is not'):
        build(gate=dict(type='patch'))
    with pytest.raises(ValueError, match="model.gate: .*unexpected keyword "
                       "argument 'weighting'"):
        build(gate=dict(type='AgreementDiscriminatorGate', weighting='rank'))
    with pytest.raises(ValueError, match=r'ASSGAN: semi_train_cfg\.strong_aug'
                       r'\.cutmix_prob .*\[0, 1\], got 1\.5'):
        build(semi_train_cfg=dict(strong_aug=dict(type='StrongPerturbation',
                                                  cutmix_prob=1.5)))
    with pytest.raises(TypeError, match='TrustGate'):
        build(gate=dict(type='PatchDiscriminator'))
    for removed in ('gamma', 'lambda_adv', 'semi_start', 'pairwise_gate'):
        with pytest.raises(TypeError, match=removed):
            build(**{removed: 0.5})
    bad = gen_cfg()
    bad['decode_head']['num_classes'] = 3
    bad['decode_head']['out_channels'] = 3
    with pytest.raises(ValueError, match='binary'):
        build(generator_a=bad)

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
    # D's channels fit the image channels + 1 (known once a batch comes)
    model = build(discriminator=dict(type='PatchDiscriminator',
                                     in_channels=2, base_channels=4))
    with pytest.raises(ValueError, match='model.discriminator.in_channels=4'):
        model.train_step(make_batch(2, 0), make_optim(model))


def test_d_channels_are_checked_before_any_network_runs():
    model = build(discriminator=dict(type='PatchDiscriminator',
                                     in_channels=2, base_channels=4),
                  semi_train_cfg=dict(adv_warmup=False))
    before = snapshot(model.generator_a)
    with pytest.raises(ValueError, match='model.discriminator.in_channels=4'):
        model.train_step(make_batch(2, 0), make_optim(model))
    assert same(before, snapshot(model.generator_a))


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
        model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0))
        optim = make_optim(model)
        aux_before = snapshot(model.generator_a.auxiliary_head)
        wrapped = MMSeparateDistributedDataParallel(
            model, find_unused_parameters=find_unused)
        assert type(model.generator_a).__name__ == \
            'MMDistributedDataParallel'
        before = snapshot(model.discriminator)
        for _ in range(2):
            log = wrapped.train_step(make_batch(2, 2), optim)
        assert log['accepted_a'] == 2 and log['loss_semi_b'] > 0
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
    and the strong view included.

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
    model = build(semi=True, gate=dict(type='AgreementGate', gamma=0.0))
    dtypes = []
    model.generator_a.backbone.register_forward_hook(
        lambda m, args, out: dtypes.append(out[-1].dtype))
    optim = make_optim(model, cls=AmpOptimWrapper, dtype='bfloat16')
    before = snapshot(model.discriminator)
    log = model.train_step(make_batch(2, 2), optim)
    # labeled, weak unlabeled and strong-view passes
    assert len(dtypes) == 3 and set(dtypes) == {torch.bfloat16}
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
    model = build(generator_a=deeplab, generator_b=pspnet, semi=True,
                  gate=dict(type='AgreementGate', gamma=0.0))
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
