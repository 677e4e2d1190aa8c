"""Shared network blocks: output spans, minibatch-std grouping, mixture latent, packing."""

from __future__ import annotations

import pytest
import torch

from scigan.core.nets import (
    MinibatchStd,
    MixtureLatent,
    MLPDiscriminator,
    MLPGenerator,
    OutputSpan,
    apply_spans,
)


def test_apply_spans_layout():
    x = torch.randn(5, 6)
    y = apply_spans(x, [OutputSpan(2, "tanh"), OutputSpan(3, "softmax"), OutputSpan(1, "softplus")])
    assert torch.allclose(y[:, :2], torch.tanh(x[:, :2]))
    assert torch.allclose(y[:, 2:5].sum(1), torch.ones(5))
    assert (y[:, 5] > 0).all()
    with pytest.raises(ValueError, match="spans cover"):
        apply_spans(x, [OutputSpan(2, "tanh")])


def test_minibatch_std_groups_are_consecutive():
    """Real rows then fake rows in one pass: the statistic never mixes the two halves."""
    real = torch.randn(8, 3) * 5
    fake = torch.zeros(8, 3)  # a collapsed generator
    out = MinibatchStd(group=4)(torch.cat([real, fake]))
    assert out.shape == (16, 4)
    assert torch.allclose(out[8:, 3], torch.full((8,), 1e-4), atol=1e-6)  # sqrt(0 + 1e-8)
    assert (out[:8, 3] > 1).all()
    expected = real[:4].var(0, unbiased=False).add(1e-8).sqrt().mean()
    assert torch.allclose(out[0, 3], expected)


def test_mixture_latent_is_uniform_and_discrete():
    z = torch.randn(40_000, 12)
    h = MixtureLatent(8)(z)
    code = h[:, :8]
    assert torch.equal(code.sum(1), torch.ones(len(z)))
    freq = code.mean(0)
    assert torch.allclose(freq, torch.full((8,), 1 / 8), atol=0.01)
    assert torch.equal(h[:, 8:], z[:, 8:])
    with pytest.raises(ValueError, match="must exceed"):
        MLPGenerator(4, [OutputSpan(2, "identity")], latent_modes=4)


def test_packed_discriminator_shapes_and_pairing():
    D = MLPDiscriminator(3, width=8, depth=1, pac=2, minibatch_std=True)
    x = torch.randn(8, 3)
    out = D(x)
    assert out.shape == (8,)
    assert torch.equal(out[0::2], out[1::2])  # both members of a pack share one score


def test_conditional_projection_requires_condition():
    D = MLPDiscriminator(2, cond_dim=3, width=8, depth=1)
    assert D(torch.randn(4, 2), torch.randn(4, 3)).shape == (4,)
    with pytest.raises(ValueError, match="conditional"):
        D(torch.randn(4, 2))
