"""AgreementDiscriminatorGate: D's score rank beside the agreement rank."""
import pytest
import torch
from mmengine.config import Config

from bus_mm.models.gates import AgreementDiscriminatorGate, AgreementGate
from mmseg.registry import MODELS
from tests.models.test_agreement_gate import MINE, PARTNER, SCORES, _judge

GENS = ('generator_a', 'generator_b')


def _judge_d(gate, d_a, d_b):
    valid = torch.ones_like(MINE)
    return gate.judge({'generator_a': MINE, 'generator_b': PARTNER},
                      {'generator_a': 0.5, 'generator_b': 0.5}, valid,
                      {'generator_a': torch.tensor(d_a),
                       'generator_b': torch.tensor(d_b)})


def test_d_that_ranks_like_agreement_changes_nothing():
    # agreement falls with the image index (SCORES); so does D's score
    d = [0.9, 0.7, 0.5, 0.3]
    combined = _judge_d(AgreementDiscriminatorGate(gamma=0.25), d, d)
    alone = _judge(AgreementGate(gamma=0.25, weighting='rank'), MINE,
                   PARTNER)
    for name in GENS:
        assert combined[name].accepted.tolist() == \
            alone[name].accepted.tolist() == [True, True, True, False]
        # trust = mean of the two ranks = the agreement rank here, so the
        # weights are AgreementGate's rank weights
        assert combined[name].weights.tolist() == pytest.approx(
            alone[name].weights.tolist())
    assert combined['generator_a'].scores.tolist() == [.875, .625, .375,
                                                       .125]


def test_trust_is_the_mean_of_both_ranks_and_d_can_overrule():
    # D trusts image 3 most and image 0 least: the ranks cancel for A
    gate = AgreementDiscriminatorGate(gamma=0.)
    out = _judge_d(gate, [0.1, 0.3, 0.5, 0.7], [0.9, 0.7, 0.5, 0.3])
    trust_a = out['generator_a'].scores
    assert torch.allclose(trust_a, trust_a[0].expand(4))
    # gamma 0 rejects nothing; the weights are the trust
    assert out['generator_a'].accepted.all()
    assert torch.equal(out['generator_a'].weights, trust_a)
    # B's D agrees with the agreement ranking: a strictly falling trust
    trust_b = out['generator_b'].scores.tolist()
    assert trust_b == sorted(trust_b, reverse=True)
    assert len(set(trust_b)) == 4
    assert SCORES == sorted(SCORES, reverse=True)


def test_without_d_scores_it_says_to_set_a_discriminator():
    gate = AgreementDiscriminatorGate()
    assert gate.needs_discriminator and gate.needs_pair
    with pytest.raises(ValueError, match='model.discriminator'):
        _judge(gate, MINE, PARTNER)


def test_assgan_without_d_refuses_the_gate_before_training():
    cfg = Config.fromfile('configs/assgan/assgan_phantom-demo.py').model
    cfg.discriminator = None
    cfg.semi_train_cfg = dict(lambda_adv=0., train_d_in_semi=False)
    cfg.gate = dict(type='AgreementDiscriminatorGate', gamma=0.2)
    with pytest.raises(ValueError, match='discriminator'):
        MODELS.build(cfg)
