"""Tests of the C2-attention neck (Eqs. 6-9)."""
import pytest
import torch
import torch.nn as nn

from bus_mm.models.necks.c2_attention import C2Attention
from mmseg.registry import MODELS


def _proj(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """1x1 conv by hand: (B, C_in, N) -> (B, C_out, N)."""
    w = conv.weight[:, :, 0, 0]
    return torch.einsum('oc,bcn->bon', w, x) + conv.bias[None, :, None]


def test_shapes_and_table1_parameter_count():
    neck = MODELS.build(dict(type='C2Attention'))
    assert isinstance(neck, C2Attention)
    # 2 paths x (Q 512x512 + K 512x256 + V 512x256, with bias) = 1.05M
    assert sum(p.numel() for p in neck.parameters()) == 1_050_624
    f_n, f_p = torch.randn(2, 512, 4, 4), torch.randn(2, 512, 4, 4)
    out_n, out_p = neck(f_n, f_p)
    assert out_n.shape == out_p.shape == (2, 512, 4, 4)


def test_matches_equations_6_to_9():
    torch.manual_seed(0)
    neck = C2Attention(in_channels=8)
    assert neck.k_n.out_channels == neck.v_p.out_channels == 4  # C / 2
    f_n, f_p = torch.randn(2, 8, 3, 5), torch.randn(2, 8, 3, 5)
    out_n, out_p = neck(f_n, f_p)
    xn, xp = f_n.flatten(2), f_p.flatten(2)  # (B, C, N)
    key = torch.cat([_proj(neck.k_n, xn), _proj(neck.k_p, xp)], 1)  # Eq. 6
    value = torch.cat([_proj(neck.v_n, xn), _proj(neck.v_p, xp)], 1)  # Eq.7
    for out, q_conv, x in ((out_n, neck.q_n, xn), (out_p, neck.q_p, xp)):
        q = _proj(q_conv, x)
        chl = torch.softmax(q @ key.transpose(1, 2), dim=-1)  # (B, C, C)
        assert chl.shape == (2, 8, 8)
        expected = x + chl @ value  # Eqs. 8-9
        torch.testing.assert_close(
            out.flatten(2), expected, rtol=1e-4, atol=1e-5)


def test_residual_identity_when_values_are_zero():
    neck = C2Attention(in_channels=8)
    for conv in (neck.v_n, neck.v_p):
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
    f_n, f_p = torch.randn(1, 8, 2, 2), torch.randn(1, 8, 2, 2)
    out_n, out_p = neck(f_n, f_p)
    torch.testing.assert_close(out_n, f_n)
    torch.testing.assert_close(out_p, f_p)


def test_cross_fusion_gradients():
    """The positive output depends on the negative path's K and V."""
    neck = C2Attention(in_channels=8)
    f_n, f_p = torch.randn(1, 8, 2, 2), torch.randn(1, 8, 2, 2)
    _, out_p = neck(f_n, f_p)
    out_p.pow(2).sum().backward()
    for name in ('q_p', 'k_n', 'k_p', 'v_n', 'v_p'):
        assert getattr(neck, name).weight.grad.abs().sum() > 0, name
    assert neck.q_n.weight.grad is None  # Q_n only serves F'_n


def test_custom_kv_channels_and_errors():
    neck = C2Attention(in_channels=8, kv_channels=2)
    out_n, out_p = neck(torch.randn(1, 8, 2, 2), torch.randn(1, 8, 2, 2))
    assert out_n.shape == out_p.shape == (1, 8, 2, 2)
    with pytest.raises(ValueError, match='even'):
        C2Attention(in_channels=7)
    with pytest.raises(ValueError, match='8 channels'):
        neck(torch.randn(1, 4, 2, 2), torch.randn(1, 4, 2, 2))
