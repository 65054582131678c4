"""Tests of the UniMatch segmentor (bus_mm/models/segmentors/unimatch.py).

Tiny students (a 2-conv backbone registered here + FCN heads with 4
channels) on 32x32 images keep the unit tests to CPU seconds; one short
training runs the shipped phantom config for 2 supervised + 2 semi
iterations.
"""
import copy
import os
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.structures import PixelData

import bus_mm  # noqa: F401  (registers UniMatch, UniMatchHook)
import bus_mm.models.segmentors.unimatch as unimatch_module
from bus_mm.engine.hooks.unimatch_hook import (UniMatchHook,
                                               has_unlabeled_data)
from bus_mm.models.segmentors.unimatch import UniMatch
from bus_mm.models.utils import StrongPerturbation
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules

from tests.models.tiny_segmentor import segmentor_cfg  # noqa: E402

register_all_modules(init_default_scope=True)
SIZE = 32
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs/unimatch/unimatch_phantom-demo.py')


def seg_cfg(out_channels=1, aux=True):
    return segmentor_cfg(out_channels, aux)


PREPROCESSOR = dict(
    type='SegDataPreProcessor',
    mean=[0., 0., 0.],
    std=[255., 255., 255.],
    size=(SIZE, SIZE))


def build(out_channels=1, aux=True, semi=False, **semi_cfg):
    """A tiny UniMatch; keyword arguments go to ``semi_train_cfg``."""
    model = MODELS.build(dict(
        type='UniMatch',
        segmentor=seg_cfg(out_channels, aux),
        semi_train_cfg=semi_cfg,
        data_preprocessor=PREPROCESSOR))
    model.semi_enabled = semi
    return model


def make_batch(nl=2, nu=2, seed=0, size=SIZE, audit=False):
    """``nl`` labeled + ``nu`` unlabeled samples: a bright square on noise,
    the square is the lesion (``gt_audit_seg`` of the unlabeled ones with
    ``audit``)."""
    g = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(nl + nu):
        img = torch.randint(0, 80, (3, size, size), generator=g)
        y0, x0 = torch.randint(0, size // 2, (2, ), generator=g).tolist()
        img[:, y0:y0 + size // 3, x0:x0 + size // 3] += 150
        gt = torch.zeros(1, size, size, dtype=torch.long)
        gt[:, y0:y0 + size // 3, x0:x0 + size // 3] = 1
        s = SegDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size),
            sample_id=f'img{i}', labeled=i < nl))
        if i < nl:
            s.gt_sem_seg = PixelData(data=gt)
        elif audit:
            s.gt_audit_seg = PixelData(data=gt)
        inputs.append(img.to(torch.uint8))
        samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def labeled_only(batch, nl):
    return dict(inputs=batch['inputs'][:nl],
                data_samples=batch['data_samples'][:nl])


def adam(module, lr=1e-3):
    return OptimWrapper(optimizer=torch.optim.Adam(module.parameters(),
                                                   lr=lr))


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(autouse=True)
def fresh_message_hub(request):
    MessageHub.get_instance(f'unimatch_test_{request.node.name}')


def spy_semi_loss(monkeypatch):
    """Record every unlabeled-stream loss call (logits, labels)."""
    calls = []
    orig = unimatch_module.semi_loss

    def spy(gen, logits, samples, labels, weights, lambda_semi=1.0):
        calls.append(dict(logits=logits.detach().clone(),
                          labels=labels.clone(), weights=weights.clone()))
        return orig(gen, logits, samples, labels, weights, lambda_semi)

    monkeypatch.setattr(unimatch_module, 'semi_loss', spy)
    return calls


def spy_strong_views(model):
    """Record every strong perturbation (view, source, box)."""
    views = []
    perturb = model.strong_aug
    call = perturb.__call__

    class Spy:
        mix = staticmethod(perturb.mix)

        def __call__(self, *args, **kwargs):
            out = call(*args, **kwargs)
            views.append(out)
            return out

    model.strong_aug = Spy()
    return views


# ----------------------------------------------------------------------
# supervised phase
# ----------------------------------------------------------------------
@pytest.mark.parametrize('dict_wrapper', [False, True])
def test_supervised_phase_equals_plain_encoder_decoder(dict_wrapper):
    """semi_enabled False: UniMatch on labeled + unlabeled batches trains
    its student bit for bit as a plain EncoderDecoder trains on the labeled
    half (same weights, same seed), auxiliary head included."""
    torch.manual_seed(0)
    model = build()
    plain = MODELS.build(dict(seg_cfg(), data_preprocessor=PREPROCESSOR,
                              test_cfg=dict(mode='whole')))
    plain.load_state_dict(model.student.state_dict())
    wrapper = adam(model.segmentor)
    optim = OptimWrapperDict(segmentor=wrapper) if dict_wrapper else wrapper
    plain_optim = adam(plain)
    for step in range(3):
        batch = make_batch(2, 2, seed=step)
        torch.manual_seed(100 + step)
        log = model.train_step(copy.deepcopy(batch), optim)
        torch.manual_seed(100 + step)
        ref = plain.train_step(labeled_only(batch, 2), plain_optim)
        assert log['loss'] == pytest.approx(float(ref['loss']), abs=0)
        assert log['loss_x'] == log['loss']
        assert 'loss_s1' not in log and log['num_unlabeled'] == 0
    assert same(snapshot(model.student), snapshot(plain))


def test_no_unlabeled_compute_in_the_supervised_phase(monkeypatch):
    model = build()
    seen = []
    model.student.backbone.register_forward_hook(
        lambda m, a, out: seen.append(out[0].shape[0]))
    calls = spy_semi_loss(monkeypatch)
    model.train_step(make_batch(2, 2), adam(model.segmentor))
    assert seen == [2] and calls == []


# ----------------------------------------------------------------------
# semi-supervised phase
# ----------------------------------------------------------------------
@pytest.mark.parametrize('out_channels', [1, 2])
def test_semi_phase_logs_the_losses_and_updates_the_student(out_channels):
    torch.manual_seed(0)
    model = build(out_channels, semi=True, threshold=0.)
    before = snapshot(model.student)
    log = model.train_step(make_batch(2, 2), adam(model.segmentor))
    for key in ('loss_x', 'loss_s1', 'loss_s2', 'loss_fp'):
        assert log[key] > 0, key
    assert log['mask_ratio'] == 1.0 and log['num_unlabeled'] == 2
    assert all(torch.isfinite(torch.tensor(v)) for v in log.values())
    # the paper's (L_x + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2
    expect = (log['loss_x'] + 0.25 * log['loss_s1'] + 0.25 * log['loss_s2']
              + 0.5 * log['loss_fp']) / 2
    assert log['loss'] == pytest.approx(expect, rel=1e-5)
    assert not same(before, snapshot(model.student))
    assert model.last_accepted_ids == {'a': ['img2', 'img3']}


def test_loss_weights_and_lambda_u():
    torch.manual_seed(0)
    model = build(semi=True, threshold=0., lambda_u=3.,
                  weights=dict(s1=1., s2=0., fp=2.))
    log = model.train_step(make_batch(2, 2), adam(model.segmentor))
    assert log['loss_s2'] == 0.
    expect = (log['loss_x'] + 3 * (log['loss_s1'] + 2 * log['loss_fp'])) / 4
    assert log['loss'] == pytest.approx(expect, rel=1e-5)


@pytest.mark.parametrize('tau,ratio', [(1.0, 0.), (0., 1.)])
def test_threshold_one_trains_nothing_unlabeled_zero_everything(
        tau, ratio, monkeypatch):
    torch.manual_seed(0)
    model = build(semi=True, threshold=tau)
    calls = spy_semi_loss(monkeypatch)
    log = model.train_step(make_batch(2, 2), adam(model.segmentor))
    assert log['mask_ratio'] == ratio
    if tau == 1.0:
        assert log['loss_s1'] == log['loss_s2'] == log['loss_fp'] == 0.
        assert model.last_accepted_ids == {'a': []}
        assert log['loss'] == pytest.approx(log['loss_x'] / 2)
        # every stream's labels are ignored everywhere: no loss is computed
        assert all(c['weights'].sum() == 0 for c in calls)
    else:
        assert len(calls) == 3
        for c in calls:  # fp, s1, s2: every pixel teaches
            assert (c['labels'] != 255).all()


DICE = dict(type='DiceBCELoss', bce_weight=0., loss_name='loss_dice')


def test_loss_u_replaces_the_head_loss_on_the_unlabeled_streams(
        monkeypatch):
    """With ``loss_u`` the unlabeled streams use it (here Dice alone) on the
    confident pixels and never the head's Dice + BCE; L_x keeps the head's
    loss; the same logits and labels give the same value by hand."""
    torch.manual_seed(0)
    model = build(semi=True, threshold=0., loss_u=DICE)
    head_calls = spy_semi_loss(monkeypatch)
    seen = []
    orig = model.unlabeled_loss

    def spy(logits, labels, weights):
        out = orig(logits, labels, weights)
        seen.append((logits.detach().clone(), labels.clone(), out.detach()))
        return out

    model.unlabeled_loss = spy
    log = model.train_step(make_batch(2, 2), adam(model.segmentor))
    assert head_calls == [] and len(seen) == 3        # fp, s1, s2
    dice = MODELS.build(DICE)
    for logits, labels, out in seen:
        up = torch.nn.functional.interpolate(
            logits, size=labels.shape[2:], mode='bilinear',
            align_corners=False)
        assert float(out) == pytest.approx(float(dice(up, labels)), rel=1e-5)
    assert log['loss_fp'] == pytest.approx(float(seen[0][2]), rel=1e-5)
    expect = (log['loss_x'] + 0.25 * log['loss_s1'] + 0.25 * log['loss_s2']
              + 0.5 * log['loss_fp']) / 2
    assert log['loss'] == pytest.approx(expect, rel=1e-5)


def test_loss_u_ignores_unconfident_pixels_and_images():
    """Ignored pixels do not move the loss; an image without a confident
    pixel does not teach; no image at all gives no loss."""
    model = build(loss_u=DICE)
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 8, 8)
    labels = (torch.rand(2, 1, 16, 16) > 0.5).long()
    base = model.unlabeled_loss(logits, labels, torch.tensor([1., 0.]))
    other = labels.clone()
    other[1] = 1 - other[1]          # the image that does not teach
    assert torch.equal(
        base, model.unlabeled_loss(logits, other, torch.tensor([1., 0.])))
    ignored = labels.clone()
    ignored[0, :, :8] = 255
    logits_changed = logits.clone()
    logits_changed[0, :, :3] += 5.   # upsampled, only under ignored rows
    a = model.unlabeled_loss(logits, ignored, torch.tensor([1., 0.]))
    b = model.unlabeled_loss(logits_changed, ignored, torch.tensor([1., 0.]))
    assert float(a) == pytest.approx(float(b), abs=1e-6)
    assert float(a) != pytest.approx(float(base), abs=1e-4)
    assert model.unlabeled_loss(logits, labels, torch.zeros(2)) is None


def test_loss_u_that_does_not_fit_the_head_is_refused_at_build():
    with pytest.raises(ValueError, match=r'semi_train_cfg\.loss_u '
                       r'\(DiceBCELoss\) does not fit .*2 output channel'):
        build(out_channels=2, loss_u=DICE)


@pytest.mark.parametrize('out_channels', [1, 2])
def test_pseudo_labels_follow_the_confidence(out_channels):
    """A pixel teaches when max(p, 1 - p) > tau; 255 elsewhere and on
    padding."""
    model = build(out_channels, threshold=0.9)
    z = torch.tensor([[-5., -1., 1., 5.]]).view(1, 1, 1, 4).expand(
        1, 1, 4, 4)
    logits = z if out_channels == 1 else torch.cat([torch.zeros_like(z), z],
                                                   1)
    valid = torch.ones(1, 1, 4, 4)
    valid[..., 3, :] = 0
    labels, hard, confident = model.pseudo_labels(logits, valid)
    row = labels[0, 0, 0].tolist()
    assert row == [0, 255, 255, 1]  # sigmoid(1) = 0.73 < 0.9 < sigmoid(5)
    assert (labels[0, 0, 3] == 255).all() and (hard[0, 0, 3] == 255).all()
    assert hard[0, 0, 0].tolist() == [0, 0, 1, 1]
    assert confident.sum() == 6


@pytest.mark.parametrize('out_channels', [1, 2])
def test_threshold_lesion_applies_to_predicted_lesion_pixels(out_channels):
    """threshold 0.9, threshold_lesion 0.5: every lesion prediction
    teaches, background still needs confidence > 0.9."""
    model = build(out_channels, threshold=0.9, threshold_lesion=0.5)
    z = torch.tensor([[-5., -1., 1., 5.]]).view(1, 1, 1, 4).expand(
        1, 1, 4, 4)
    logits = z if out_channels == 1 else torch.cat([torch.zeros_like(z), z],
                                                   1)
    labels, _, confident = model.pseudo_labels(logits,
                                               torch.ones(1, 1, 4, 4))
    assert labels[0, 0, 0].tolist() == [0, 255, 1, 1]
    assert confident.sum() == 12
    # the reverse asymmetry: background teaches freely, lesion needs 0.9
    model = build(out_channels, threshold=0.5, threshold_lesion=0.9)
    labels, _, _ = model.pseudo_labels(logits, torch.ones(1, 1, 4, 4))
    assert labels[0, 0, 0].tolist() == [0, 0, 255, 1]


def test_two_strong_views_differ_and_carry_their_cutmix(monkeypatch):
    torch.manual_seed(0)
    model = build(semi=True, threshold=0.,
                  strong_aug=dict(type='StrongPerturbation',
                                  cutmix_prob=1.0))
    views = spy_strong_views(model)
    calls = spy_semi_loss(monkeypatch)
    batch = make_batch(2, 3)
    model.train_step(batch, adam(model.segmentor))
    assert len(views) == 2
    (x1, src1, box1), (x2, src2, box2) = views
    assert not torch.equal(x1, x2)
    weak = model.data_preprocessor(copy.deepcopy(batch), True)['inputs'][2:]
    assert not torch.equal(x1, weak) and not torch.equal(x2, weak)
    # calls: fp (the weak labels), s1, s2 (the labels pasted as the boxes)
    fp, s1, s2 = calls
    assert torch.equal(s1['labels'], StrongPerturbation.mix(
        fp['labels'], src1, box1))
    assert torch.equal(s2['labels'], StrongPerturbation.mix(
        fp['labels'], src2, box2))
    assert box1.any() and box2.any()


def test_fp_dropout_is_active_only_in_training():
    torch.manual_seed(0)
    model = build(fp_dropout=0.5)
    feats = (torch.ones(2, 64, 4, 4), torch.ones(2, 64, 2, 2))
    model.train()
    out = model.perturb_features(feats)
    for f in out:
        values = set(f.unique().tolist())
        assert values == {0., 2.}  # channels dropped, the rest scaled 1/(1-p)
    model.eval()
    out = model.perturb_features(feats)
    assert all(torch.equal(a, b) for a, b in zip(out, feats))


def test_fp_stream_runs_the_decode_head_once_on_clean_and_dropped(
        monkeypatch):
    """Semi phase: one backbone pass over labeled + weak images; the decode
    head sees the features plus the dropped-out unlabeled ones (one call),
    the auxiliary head the labeled images only; the strong views are one
    more pass. fp weight 0: no perturbation."""
    torch.manual_seed(0)
    model = build(semi=True, threshold=0.)
    student = model.student
    backbone, head, aux = [], [], []
    student.backbone.register_forward_hook(
        lambda m, a, out: backbone.append(out[0].shape[0]))
    orig = student.decode_head.forward
    monkeypatch.setattr(student.decode_head, 'forward', lambda x: (
        head.append(x[1].shape[0]), orig(x))[1])
    student.auxiliary_head.register_forward_hook(
        lambda m, a, out: aux.append(out.shape[0]))
    model.train_step(make_batch(2, 3), adam(model.segmentor))
    assert backbone == [5, 6] and head == [8, 6] and aux == [2]
    backbone.clear(), head.clear()
    model = build(semi=True, threshold=0., weights=dict(fp=0.))
    model.student.backbone.register_forward_hook(
        lambda m, a, out: backbone.append(out[0].shape[0]))
    log = model.train_step(make_batch(2, 3), adam(model.segmentor))
    assert backbone == [5, 6] and log['loss_fp'] == 0.


def test_audit_records_the_true_iou_of_the_pseudo_labels():
    torch.manual_seed(0)
    model = build(semi=True, threshold=0.)
    model.train_step(make_batch(2, 2, audit=True), adam(model.segmentor))
    rows = model.last_audit['a']
    assert len(rows) == 2
    for share, iou, accepted in rows:
        assert share == 1.0 and 0. <= iou <= 1. and accepted


# ----------------------------------------------------------------------
# prediction and the segmentor contract
# ----------------------------------------------------------------------
def test_predict_and_forward_modes_are_the_students():
    torch.manual_seed(0)
    model = build().eval()
    batch = make_batch(2, 0)
    data = model.data_preprocessor(copy.deepcopy(batch), False)
    with torch.no_grad():
        ref = model.student.predict(data['inputs'], copy.deepcopy(
            data['data_samples']))
        out = model.predict(data['inputs'], copy.deepcopy(
            data['data_samples']))
    assert out[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
    assert torch.equal(out[0].pred_sem_seg.data, ref[0].pred_sem_seg.data)
    # tools/test.py's path (val_step/test_step -> predict)
    out = model.test_step(copy.deepcopy(batch))
    assert torch.equal(out[1].pred_sem_seg.data, ref[1].pred_sem_seg.data)
    with torch.no_grad():
        logits = model(data['inputs'], None, mode='tensor')
    assert logits.shape == (2, 1, SIZE // 4, SIZE // 4)
    with torch.no_grad():
        assert model.encode_decode(data['inputs'], [
            s.metainfo for s in data['data_samples']]).shape == (
                2, 1, SIZE, SIZE)
    assert model.decode_head is model.student.decode_head
    model.train()
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert 'decode.loss_ce' in losses and 'aux.loss_ce' in losses


def test_state_dict_keys_and_loading_assgan_generator_a(tmp_path):
    torch.manual_seed(0)
    model = build()
    assert all(k.startswith('segmentor.') for k in model.state_dict())
    # ASSGAN's generator A as the student (the documented init_cfg recipe)
    assgan = MODELS.build(dict(
        type='ASSGAN', generator_a=seg_cfg(), generator_b=None,
        discriminator=None, gate=dict(type='AcceptAllGate'),
        semi_train_cfg=dict(lambda_adv=0., train_d_in_semi=False),
        data_preprocessor=PREPROCESSOR))
    path = str(tmp_path / 'assgan.pth')
    torch.save(dict(state_dict=assgan.state_dict()), path)
    cfg = seg_cfg()
    cfg['init_cfg'] = dict(type='Pretrained', prefix='generator_a.',
                           checkpoint=path)
    student = MODELS.build(dict(type='UniMatch', segmentor=cfg,
                                data_preprocessor=PREPROCESSOR))
    assert not same(snapshot(student.student),
                    snapshot(assgan.generator_a))
    student.init_weights()
    assert same(snapshot(student.student), snapshot(assgan.generator_a))


def ddp_check(init_method: str, find_unused: bool) -> None:
    """Body of the DDP test below (a child process): the student's own DDP
    wrapper (MMSeparateDistributedDataParallel) sees one forward per step
    (labeled + weak + feature-perturbed); the strong views pass through the
    bare student."""
    import torch.distributed as dist
    from mmengine.model import MMSeparateDistributedDataParallel
    dist.init_process_group(
        'gloo', init_method=init_method, rank=0, world_size=1)
    print('INIT_OK', flush=True)
    try:
        torch.manual_seed(0)
        model = build(semi=True, threshold=0.)
        optim = OptimWrapperDict(segmentor=adam(model.segmentor))
        before = snapshot(model.segmentor)
        wrapped = MMSeparateDistributedDataParallel(
            model, find_unused_parameters=find_unused)
        assert type(model.segmentor).__name__ == 'MMDistributedDataParallel'
        for _ in range(2):
            log = wrapped.train_step(make_batch(2, 2), optim)
        assert log['loss_s1'] > 0 and log['loss_fp'] > 0
        assert not same(before, snapshot(model.segmentor.module))
        wrapped.eval()
        out = wrapped.val_step(make_batch(2, 0))
        assert out[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)
    finally:
        dist.destroy_process_group()
    print('DDP_OK', flush=True)


@pytest.mark.parametrize('find_unused', [False, True])
def test_distributed_wrapper_single_process(find_unused):
    """A 1-process gloo group in a child process with a time limit (a
    rendezvous that never forms is the machine's: skip)."""
    import socket
    import subprocess
    import sys
    if not torch.distributed.is_available():
        pytest.skip('torch.distributed unavailable')
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    code = ('from tests.models.test_unimatch import ddp_check; '
            f"ddp_check('tcp://127.0.0.1:{port}', {find_unused})")
    env = dict(os.environ, OMP_NUM_THREADS='1')
    try:
        proc = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                              env=env, capture_output=True, text=True,
                              timeout=240)
    except subprocess.TimeoutExpired as err:
        out = err.stdout or b''
        out = out.decode() if isinstance(out, bytes) else out
        if 'INIT_OK' not in out:
            pytest.skip('gloo could not form a 1-process group on this '
                        'machine within 240 s')
        raise AssertionError(f'DDP steps hung after the group formed:\n{out}')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert 'DDP_OK' in proc.stdout


# ----------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------
@pytest.mark.parametrize('kwargs,match', [
    (dict(threshold=1.5), r'semi_train_cfg\.threshold'),
    (dict(threshold=-0.1), r'semi_train_cfg\.threshold'),
    (dict(threshold_lesion=1.2),
     r'semi_train_cfg\.threshold_lesion must lie in \[0, 1\], got 1\.2'),
    (dict(threshold_lesion='high'),
     r"semi_train_cfg\.threshold_lesion must be a number, got 'high'"),
    (dict(fp_dropout=1.0), r'semi_train_cfg\.fp_dropout'),
    (dict(fp_dropout=-0.5), r'semi_train_cfg\.fp_dropout'),
    (dict(lambda_u=-1.), r'semi_train_cfg\.lambda_u'),
    (dict(weights=dict(s1=-1.)), r'semi_train_cfg\.weights\.s1'),
    (dict(weights=dict(s3=1.)), r'weights keys \[.s3.\]'),
    (dict(tau=0.9), r"unknown semi_train_cfg keys \['tau'\]"),
    (dict(strong_aug=dict(type='StrongPerturbation', cutmix_prob=1.5)),
     r'semi_train_cfg\.strong_aug\.cutmix_prob .*\[0, 1\], got 1\.5'),
    (dict(strong_aug=dict(type='StrongPerturbation', blur=2)),
     r'semi_train_cfg\.strong_aug: .*blur'),
    (dict(strong_aug=None), r'semi_train_cfg\.strong_aug is None'),
    (dict(loss_u='dice'), r'semi_train_cfg\.loss_u must be None or'),
    (dict(loss_u=dict(type='NoSuchLoss')), r'semi_train_cfg\.loss_u: .*NoSuchLoss'),
])
def test_bad_options_are_refused_naming_the_option(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_bad_segmentor_and_optimizer_are_refused():
    bad = seg_cfg()
    bad['decode_head'].update(num_classes=3, out_channels=3)
    with pytest.raises(ValueError, match='UniMatch: segmentor.decode_head '
                       'must be binary'):
        MODELS.build(dict(type='UniMatch', segmentor=bad))
    model = build()
    with pytest.raises(KeyError, match="lacks 'segmentor'"):
        model.train_step(make_batch(2, 2), OptimWrapperDict(
            generator_a=adam(model.segmentor)))
    batch = make_batch(2, 0)
    del batch['data_samples'][0].gt_sem_seg
    with pytest.raises(ValueError, match='labeled=False'):
        model.train_step(batch, adam(model.segmentor))


class _Infos:
    """A dataset stand-in with data infos."""

    def __init__(self, labeled):
        self.labeled = labeled

    def __len__(self):
        return len(self.labeled)

    def get_data_info(self, i):
        return dict(labeled=self.labeled[i])


def test_hook_refuses_a_train_loader_without_unlabeled_data():
    concat = SimpleNamespace(datasets=[_Infos([True] * 3),
                                       _Infos([False] * 5)])
    loader = SimpleNamespace(dataset=concat, sampler=None)
    assert has_unlabeled_data(loader) is True
    assert has_unlabeled_data(SimpleNamespace(
        dataset=_Infos([True] * 3), sampler=None)) is False
    # the sampler fills every batch with labeled samples
    assert has_unlabeled_data(SimpleNamespace(
        dataset=concat, sampler=SimpleNamespace(num_labeled=4,
                                                batch_size=4))) is False
    # unknown datasets (a list) are let through
    assert has_unlabeled_data(SimpleNamespace(dataset=[1, 2],
                                              sampler=None)) is None
    runner = SimpleNamespace(train_dataloader=SimpleNamespace(
        dataset=_Infos([True] * 3), sampler=None))
    with pytest.raises(ValueError, match='train_dataloader'):
        UniMatchHook(semi_start=2).before_train(runner)


# ----------------------------------------------------------------------
# the shipped config
# ----------------------------------------------------------------------
def test_phantom_demo_config_builds():
    from mmengine.config import Config
    cfg = Config.fromfile(DEMO)
    model = MODELS.build(cfg.model)
    assert isinstance(model, UniMatch)
    ref = Config.fromfile(osp.join(REPO,
                                   'configs/assgan/assgan_phantom-demo.py'))
    assert cfg.model.segmentor.to_dict() == ref.model.generator_a.to_dict()
    assert cfg.train_dataloader.to_dict() == ref.train_dataloader.to_dict()


def test_phantom_demo_trains_two_supervised_and_two_semi_iterations(
        tmp_path):
    """configs/unimatch/unimatch_phantom-demo.py on a few phantoms: 2
    supervised + 2 semi-supervised iterations through mmengine's Runner
    (UniMatchHook, MultiOptimWrapperConstructor, checkpoint save)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    from bus_mm.datasets.phantom import make_phantom_dataset
    root = str(tmp_path / 'phantom')
    make_phantom_dataset(root, num_benign=16, num_malignant=8, num_normal=0,
                         size=(64, 64), seed=0)
    cfg = Config.fromfile(DEMO)
    for key in ('train', 'val', 'test'):
        loader = cfg[f'{key}_dataloader']
        for ds in loader.dataset.get('datasets', [loader.dataset]):
            ds.data_root = root
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4,
                         val_interval=100)
    cfg.custom_hooks = [dict(type='UniMatchHook', semi_start=2,
                             epoch_length=2)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 4
    cfg.default_hooks.pop('curves', None)
    cfg.default_hooks.pop('visualization', None)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    loss_x = hub.get_scalar('train/loss_x').data[0].tolist()
    assert len(loss_x) == 4 and all(v > 0 for v in loss_x)
    for key in ('loss_s1', 'loss_s2', 'loss_fp', 'mask_ratio'):
        assert len(hub.get_scalar(f'train/{key}').data[0]) == 2, key
    assert runner.model.semi_enabled is True
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_4.pth'))
    assert os.listdir(cfg.work_dir)
