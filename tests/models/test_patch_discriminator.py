"""Tests of PatchDiscriminator (bus_mm/models/discriminators)."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import bus_mm  # noqa: F401
from bus_mm.models.discriminators import PatchDiscriminator
from mmseg.registry import MODELS



def test_default_architecture_is_hungs():
    d = MODELS.build(dict(type='PatchDiscriminator'))
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert convs[0].in_channels == 1
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2)
               for c in convs)
    acts = [m for m in d.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(acts) == 4 and all(a.negative_slope == 0.2 for a in acts)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                   for m in d.modules())


@pytest.mark.parametrize('hw,out_hw', [((32, 32), (1, 1)),
                                       ((64, 96), (2, 3)),
                                       ((100, 45), (3, 1)),
                                       ((320, 320), (10, 10))])
def test_output_is_a_patch_logit_map(hw, out_hw):
    d = PatchDiscriminator(base_channels=4)
    out = d(torch.rand(2, 1, *hw))
    assert out.shape == (2, 1, *out_hw)


def test_configurable_channels_norm_and_inputs():
    d = PatchDiscriminator(
        in_channels=2, base_channels=8, num_convs=4,
        norm_cfg=dict(type='BN'))
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 1]
    assert any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert d(torch.rand(2, 2, 16, 16)).shape == (2, 1, 1, 1)


def test_bad_input_raises():
    d = PatchDiscriminator(base_channels=4)
    with pytest.raises(ValueError, match='smaller than 32'):
        d(torch.rand(1, 1, 31, 64))
    with pytest.raises(ValueError, match='in_channels'):
        d(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match='base_channels'):
        PatchDiscriminator(base_channels=0)


def test_learns_to_tell_masks_from_soft_predictions():
    """Real = crisp 0/1 squares, fake = blurred probability maps: a few
    Adam steps make D separate them (loss falls, scores ordered)."""
    torch.manual_seed(0)
    real = torch.zeros(8, 1, 32, 32)
    for i in range(8):
        y, x = torch.randint(0, 16, (2, ))
        real[i, :, y:y + 12, x:x + 12] = 1
    fake = F.avg_pool2d(real, 7, 1, 3) * 0.8 + 0.1
    d = PatchDiscriminator(base_channels=8)
    opt = torch.optim.Adam(d.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        out = d(torch.cat([real, fake]))
        target = torch.cat([torch.ones(8, 1, 1, 1), torch.zeros(8, 1, 1, 1)])
        loss = F.binary_cross_entropy_with_logits(out, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        assert d(real).sigmoid().mean() > d(fake).sigmoid().mean()
