"""ASSGAN configs: phase lengths follow the paper's epochs, the shipped
default is the class default, its paper-literal and ablation twins are one
config away, and every config's semi-supervised settings fit together."""
import glob
import inspect
import os.path as osp
from dataclasses import asdict

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ASSGAN_CONFIGS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', 'assgan', '*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'assgan_*.py')))
AGREE_RANK = dict(type='AgreementGate', gamma=0.2, weighting='rank')
DEFAULT_GATE = AGREE_RANK
JUDGE_GATE = dict(type='AgreementDiscriminatorGate', gamma=0.2)
PAPER_SEMI = dict(lambda_adv=0.01, adv_warmup=False, adv_on_unlabeled=False,
                  train_d_in_semi=True,
                  d_input=dict(binarize=False, with_image=False),
                  strong_aug=None)


def _cfg(path):
    return Config.fromfile(osp.join(REPO, path))


def _semi(cfg):
    """The model's semi_train_cfg as ASSGAN reads it (defaults filled)."""
    from bus_mm.models.segmentors.assgan_state import SemiTrainCfg
    return asdict(SemiTrainCfg.build(cfg.model.get('semi_train_cfg')))


def _hook(cfg):
    return [h for h in cfg.custom_hooks if h['type'] == 'ASSGANHook'][0]


@pytest.mark.parametrize('path,labeled,unlabeled', [
    ('configs/assgan_sdbui_15pct.py', 195, 1110),
    ('configs/assgan/assgan_busi_18pct.py', 100, 447),
])
def test_semi_phase_is_500_passes_over_the_unlabeled_images(
        path, labeled, unlabeled):
    cfg = _cfg(path)
    hook = _hook(cfg)
    per_batch = cfg.train_dataloader.sampler.num_labeled
    unl_per_batch = cfg.train_dataloader.sampler.batch_size - per_batch
    # Algorithm 1: 200 passes over the labeled images
    assert hook['semi_start'] * per_batch / labeled == pytest.approx(200,
                                                                     rel=0.01)
    semi_iters = cfg.train_cfg.max_iters - hook['semi_start']
    # Algorithm 2: 500 passes over the unlabeled images
    assert semi_iters * unl_per_batch / unlabeled == pytest.approx(500,
                                                                   rel=0.01)
    assert hook['epoch_length'] * unl_per_batch >= unlabeled


def test_the_model_base_is_the_class_default():
    """configs/_base_/models/assgan_deeplabv3plus_pspnet.py spells out
    ASSGAN's own defaults: a config that leaves them out gets the same."""
    from bus_mm.models.segmentors.assgan import ASSGAN
    from bus_mm.models.segmentors.assgan_state import SemiTrainCfg
    cfg = _cfg('configs/_base_/models/assgan_deeplabv3plus_pspnet.py')
    params = inspect.signature(ASSGAN.__init__).parameters
    assert dict(cfg.model.discriminator) == params['discriminator'].default
    assert dict(cfg.model.gate) == params['gate'].default == DEFAULT_GATE
    assert _semi(cfg) == asdict(SemiTrainCfg())
    assert cfg.model.discriminator.in_channels == 4  # image + mask
    assert cfg.model.semi_train_cfg.strong_aug is None  # the teacher's view


@pytest.mark.parametrize('name', [
    'configs/assgan/assgan_phantom-demo',
    'configs/assgan/assgan_busi-cpu128_15pct',
    'configs/assgan/assgan_busi-320_15pct', 'configs/assgan_sdbui_15pct',
    'configs/assgan/assgan_busi-cpu128-r18_15pct'])
def test_default_and_its_paper_gate_twin(name):
    from bus_mm.models.segmentors.assgan_state import SemiTrainCfg
    cfg = _cfg(name + '.py')
    # the default: agreement rank, D as a shape prior, no strong view
    assert dict(cfg.model.gate) == DEFAULT_GATE
    assert cfg.model.discriminator.type == 'PatchDiscriminator'
    assert cfg.model.discriminator.in_channels == 4
    assert cfg.optim_wrapper.discriminator is not None
    assert _semi(cfg) == asdict(SemiTrainCfg())
    # the paper read literally: D judges the soft map alone
    paper = _cfg(name + '_paper-gate.py')
    assert dict(paper.model.gate) == dict(type='DiscriminatorGate',
                                          gamma=0.5)
    assert paper.model.discriminator.type == 'PatchDiscriminator'
    assert paper.model.discriminator.in_channels == 1
    assert paper.optim_wrapper.discriminator is not None
    assert _semi(paper) == dict(_semi(cfg), lambda_semi=1.0, **PAPER_SEMI)
    # and nothing else differs
    for key in ('train_dataloader', 'train_cfg', 'custom_hooks'):
        assert paper[key] == cfg[key], key
    for key in ('generator_a', 'generator_b', 'test_cfg'):
        assert paper.model[key] == cfg.model[key], key


@pytest.mark.parametrize('suffix,gate,has_d,semi', [
    # Table 9's "2 generators": every pseudo-label, the weak view, no D
    ('_2gen', dict(type='AgreementGate', gamma=0.0), False,
     dict(lambda_adv=0., train_d_in_semi=False, strong_aug=None)),
    ('_agree-cut', dict(type='AgreementGate', gamma=0.5), False,
     dict(lambda_adv=0., train_d_in_semi=False, strong_aug=None)),
    # the default rule without D: the agreement rank alone
    ('_no-d', AGREE_RANK, False,
     dict(lambda_adv=0., train_d_in_semi=False)),
    # D as a judge instead of a shape prior
    ('_d-judge', JUDGE_GATE, True, dict(lambda_adv=0.)),
    # D on the thresholded mask alone as a quantile judge, no L_adv
    ('_d-gate', dict(type='DiscriminatorGate', gamma=0.2, quantile=True),
     True, dict(lambda_adv=0., train_d_in_semi=False, strong_aug=None,
                d_input=dict(binarize=True, with_image=False))),
    ('_1gen', dict(type='AcceptAllGate'), False,
     dict(lambda_adv=0., train_d_in_semi=False, strong_aug=None)),
    # "1 generator + GAN" needs L_adv from the start
    ('_1gen-gan', dict(type='AcceptAllGate'), True,
     dict(lambda_adv=0.01, adv_warmup=False, train_d_in_semi=False,
          strong_aug=None, d_input=dict(binarize=True, with_image=False))),
    ('_sup', AGREE_RANK, False,
     dict(lambda_adv=0., train_d_in_semi=False)),
])
def test_ablation_twins_of_the_busi_cpu_config(suffix, gate, has_d, semi):
    from bus_mm.models.segmentors.assgan_state import SemiTrainCfg
    cfg = _cfg(f'configs/assgan/assgan_busi-cpu128_15pct{suffix}.py')
    from mmseg.registry import MODELS
    assert dict(cfg.model.gate) == gate
    if suffix in ('_2gen', '_agree-cut'):
        # the gate was replaced, not merged: AgreementGate's own 'cut'
        assert MODELS.build(cfg.model.gate).weighting == 'cut'
    assert (cfg.model.discriminator is not None) == has_d
    assert (cfg.optim_wrapper.get('discriminator') is not None) == has_d
    assert _semi(cfg) == dict(asdict(SemiTrainCfg()), **semi)
    one_gen = suffix.startswith('_1gen')
    assert (cfg.model.generator_b is None) == one_gen
    assert (cfg.optim_wrapper.get('generator_b') is None) == one_gen
    supervised = suffix in ('_sup', '_1gen', '_1gen-gan')
    assert (_hook(cfg)['semi_start'] is None) == supervised


@pytest.mark.parametrize('path', ASSGAN_CONFIGS)
def test_every_assgan_config_fits_together(path):
    """The checks ASSGAN runs when it is built, without building the
    generators: the gate, D, D's view and the semi settings agree, and an
    optimizer exists exactly for each network."""
    from mmseg.registry import MODELS
    from bus_mm.models.discriminators.mask_view import MaskView
    from bus_mm.models.segmentors.assgan_state import SemiTrainCfg
    cfg = _cfg(path)
    model = cfg.model
    assert model.type == 'ASSGAN'
    semi = SemiTrainCfg.build(model.get('semi_train_cfg'))
    gate = MODELS.build(model.gate)
    disc = None if model.discriminator is None else MODELS.build(
        model.discriminator)
    view = MaskView(**semi.d_input)
    semi.check(gate, disc, model.generator_b is not None, view)
    if disc is not None:
        view.check(disc, image_channels=3)  # RGB-loaded grey images
    semi.build_strong_aug()
    for name in ('generator_a', 'generator_b', 'discriminator'):
        assert (model.get(name) is None) == (
            cfg.optim_wrapper.get(name) is None), name


def test_full_width_rows_use_stock_mmseg_r18_networks():
    """The full-width rows differ from the width-16 ones only in the
    generators, and G_a is stock mmseg's DeepLabV3+ R18 (every backbone and
    head tensor of the same shape) up to the 1-channel lesion logit."""
    from mmseg.registry import MODELS
    stem = 'configs/assgan/assgan_busi-cpu128'
    for suffix in ('', '_sup', '_2gen', '_agree-cut', '_no-d', '_d-judge',
                   '_paper-gate'):
        full = _cfg(f'{stem}-r18_15pct{suffix}.py')
        w16 = _cfg(f'{stem}_15pct{suffix}.py')
        for key in ('train_dataloader', 'optim_wrapper', 'train_cfg',
                    'custom_hooks'):
            assert full[key] == w16[key], (suffix, key)
        for key in set(full.model) - {'generator_a', 'generator_b'}:
            assert full.model[key] == w16.model[key], (suffix, key)
    cfg = _cfg(f'{stem}-r18_15pct_sup.py')
    stock = _cfg(
        'configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py')
    ours = MODELS.build(cfg.model).generator_a.state_dict()
    ref = MODELS.build(stock.model).state_dict()
    logits = {k for k in ref if 'conv_seg' in k}
    assert set(ours) == set(ref)
    for k in set(ref) - logits:
        assert ours[k].shape == ref[k].shape, k
    assert ours['decode_head.conv_seg.weight'].shape[0] == 1
    assert ref['decode_head.conv_seg.weight'].shape[0] == 2
