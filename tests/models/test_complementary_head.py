"""Tests of the complementary head (Eqs. 10-12, Fig. 10 / Table III)."""
import pytest
import torch

from bus_mm.models.heads.complementary_head import (ComplementaryHead,
                                                    complement)
from mmseg.registry import MODELS


def _logits():
    torch.manual_seed(0)
    return torch.randn(2, 1, 8, 8), torch.randn(2, 1, 8, 8)


def test_complement_operation():
    a = torch.tensor([0.0, 0.25, 1.0])
    torch.testing.assert_close(complement(a), torch.tensor([1.0, 0.75, 0.0]))


def test_variant_c_order_p_first():
    head = MODELS.build(dict(type='ComplementaryHead'))
    assert (head.block_type, head.order) == ('mlp', 'p_first')
    ln, lp = _logits()
    out_n, out_p = head(ln, lp)
    exp_n = ln + head.mlp_n(1 - lp.sigmoid())  # Eq. 10
    exp_p = lp + head.mlp_p(1 - exp_n.sigmoid())  # Eq. 11
    torch.testing.assert_close(out_n, exp_n)
    torch.testing.assert_close(out_p, exp_p)
    assert out_n.shape == out_p.shape == (2, 1, 8, 8)


def test_variant_b_order_n_first():
    head = ComplementaryHead(variant='b')
    ln, lp = _logits()
    out_n, out_p = head(ln, lp)
    exp_p = lp + head.mlp_p(1 - ln.sigmoid())
    exp_n = ln + head.mlp_n(1 - exp_p.sigmoid())
    torch.testing.assert_close(out_p, exp_p)
    torch.testing.assert_close(out_n, exp_n)


def test_mlp_is_per_pixel_and_widens_then_narrows():
    head = ComplementaryHead(hidden_channels=16)
    first, _, last = head.mlp_p
    assert first.kernel_size == (1, 1) and first.out_channels == 16
    assert last.in_channels == 16 and last.out_channels == 1
    assert sum(p.numel() for p in head.parameters()) == 2 * (16 + 16 + 16 + 1)
    # per pixel: changing one input pixel changes only that output pixel
    ln, lp = _logits()
    lp2 = lp.clone()
    lp2[0, 0, 3, 3] += 5.0
    diff = (head(ln, lp2)[0] - head(ln, lp)[0]).abs()
    assert diff[0, 0, 3, 3] > 0
    diff[0, 0, 3, 3] = 0
    assert diff.max() == 0


def test_variant_a_conv_head():
    head = ComplementaryHead(variant='a')
    assert head.mlp_n[0].kernel_size == (3, 3)
    assert head.order == 'p_first'
    ln, lp = _logits()
    out_n, out_p = head(ln, lp)
    torch.testing.assert_close(out_n, ln + head.mlp_n(1 - lp.sigmoid()))
    assert out_p.shape == (2, 1, 8, 8)


def test_consistent_mode_reads_probability_without_complement():
    head = ComplementaryHead(complement=False)
    ln, lp = _logits()
    out_n, _ = head(ln, lp)
    torch.testing.assert_close(out_n, ln + head.mlp_n(lp.sigmoid()))


def test_gradients_reach_both_mlps():
    head = ComplementaryHead()
    ln, lp = _logits()
    ln.requires_grad_(True)
    lp.requires_grad_(True)
    out_n, out_p = head(ln, lp)
    (out_n.sum() + out_p.sum()).backward()
    for p in head.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match='variant'):
        ComplementaryHead(variant='d')
    with pytest.raises(ValueError, match='block_type'):
        ComplementaryHead(variant=None, block_type='x', order='p_first')
    with pytest.raises(ValueError, match='order'):
        ComplementaryHead(variant=None, block_type='mlp', order='x')
    head = ComplementaryHead(variant=None, block_type='conv', order='n_first')
    assert head.mlp_p[0].kernel_size == (3, 3)
