"""ASSGAN configs: phase lengths follow the paper's epochs, the default gate
and its paper-literal twin one config away."""
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('path,labeled,unlabeled', [
    ('configs/assgan_sdbui_15pct.py', 195, 1110),
    ('configs/assgan/assgan_busi_18pct.py', 100, 447),
])
def test_semi_phase_is_500_passes_over_the_unlabeled_images(
        path, labeled, unlabeled):
    cfg = Config.fromfile(osp.join(REPO, path))
    hook = [h for h in cfg.custom_hooks if h['type'] == 'ASSGANHook'][0]
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


@pytest.mark.parametrize('name', [
    'configs/assgan/assgan_phantom-demo', 'configs/assgan/assgan_busi-cpu128_15pct',
    'configs/assgan/assgan_busi-320_15pct', 'configs/assgan_sdbui_15pct',
    'configs/assgan/assgan_busi-cpu128-r18_15pct'])
def test_default_gate_and_paper_gate_twin(name):
    cfg = Config.fromfile(osp.join(REPO, name + '.py'))
    # the default: the generators' agreement judges, no D, no D optimizer
    assert cfg.model.gate.type == 'AgreementGate' and cfg.model.gamma == 0.5
    assert cfg.model.discriminator is None
    assert cfg.optim_wrapper.get('discriminator') is None
    paper = Config.fromfile(osp.join(REPO, name + '_paper-gate.py'))
    assert dict(paper.model.gate) == dict(type='PaperGate')
    assert paper.model.discriminator.type == 'PatchDiscriminator'
    assert paper.optim_wrapper.discriminator is not None
    assert paper.model.gamma == 0.5 and paper.model.lambda_adv == 0.01
    assert not paper.model.adv_on_unlabeled and paper.model.train_d_in_semi


@pytest.mark.parametrize('suffix,gate,gamma,has_d', [
    ('_2gen', 'AgreementGate', 0.0, False),    # accept-all: gamma 0
    ('_d-gate', 'QuantileGate', 0.2, True),    # round 4's default
    ('_1gen', 'MaskQualityGate', 0.5, False),  # no partner to agree with
    ('_1gen-gan', 'MaskQualityGate', 0.5, True),
])
def test_ablation_twins_of_the_busi_cpu_config(suffix, gate, gamma, has_d):
    cfg = Config.fromfile(osp.join(
        REPO, f'configs/assgan/assgan_busi-cpu128_15pct{suffix}.py'))
    assert cfg.model.gate.type == gate and cfg.model.gamma == gamma
    assert (cfg.model.discriminator is not None) == has_d
    assert (cfg.optim_wrapper.get('discriminator') is not None) == has_d
    if suffix == '_1gen-gan':
        assert cfg.model.lambda_adv > 0  # the GAN row needs L_adv


def test_full_width_rows_use_stock_mmseg_r18_networks():
    """The full-width rows differ from the width-16 ones only in the
    generators, and G_a is stock mmseg's DeepLabV3+ R18 (every backbone and
    head tensor of the same shape) up to the 1-channel lesion logit."""
    from mmseg.registry import MODELS
    stem = 'configs/assgan/assgan_busi-cpu128'
    for suffix in ('', '_sup', '_2gen', '_paper-gate'):
        full = Config.fromfile(osp.join(REPO, f'{stem}-r18_15pct{suffix}.py'))
        w16 = Config.fromfile(osp.join(REPO, f'{stem}_15pct{suffix}.py'))
        for key in ('train_dataloader', 'optim_wrapper', 'train_cfg',
                    'custom_hooks'):
            assert full[key] == w16[key], (suffix, key)
        for key in set(full.model) - {'generator_a', 'generator_b'}:
            assert full.model[key] == w16.model[key], (suffix, key)
    cfg = Config.fromfile(osp.join(REPO, f'{stem}-r18_15pct_sup.py'))
    stock = Config.fromfile(osp.join(
        REPO, 'configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py'))
    ours = MODELS.build(cfg.model).generator_a.state_dict()
    ref = MODELS.build(stock.model).state_dict()
    logits = {k for k in ref if 'conv_seg' in k}
    assert set(ours) == set(ref)
    for k in set(ref) - logits:
        assert ours[k].shape == ref[k].shape, k
    assert ours['decode_head.conv_seg.weight'].shape[0] == 1
    assert ref['decode_head.conv_seg.weight'].shape[0] == 2
