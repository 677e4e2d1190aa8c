"""Sequence G and D: output layout, straight-through one-hot samples, critic shapes."""

from __future__ import annotations

import pytest
import torch

from scigan.core.nets import OutputSpan
from scigan.domains.sequences.nets import SeqDiscriminator, SeqGenerator


def test_gumbel_generator_emits_one_hot_with_gradients():
    G = SeqGenerator(8, [OutputSpan(5, "gumbel")] * 12, width=8, depth=1)
    x = G(torch.randn(6, 8))
    assert x.shape == (6, 5, 12)
    assert torch.equal(x.detach().sum(dim=1), torch.ones(6, 12))
    assert set(x.detach().unique().tolist()) <= {0.0, 1.0}
    x[:, 0].sum().backward()  # straight-through: the soft relaxation carries the gradient
    assert G.inp.weight.grad is not None and G.inp.weight.grad.abs().sum() > 0


def test_softmax_generator_rows_are_distributions():
    G = SeqGenerator(8, [OutputSpan(4, "softmax")] * 7, width=8, depth=2, dilation=2)
    x = G(torch.randn(3, 8))
    assert torch.allclose(x.sum(dim=1), torch.ones(3, 7)) and (x > 0).all()


def test_generator_rejects_mixed_spans():
    with pytest.raises(ValueError, match="identical"):
        SeqGenerator(8, [OutputSpan(4, "softmax"), OutputSpan(5, "softmax")])


@pytest.mark.parametrize(("pooled", "dilation", "pac", "cond"), [(False, 1, 1, 0), (True, 2, 2, 3)])
def test_discriminator_shapes(pooled, dilation, pac, cond):
    D = SeqDiscriminator(4, 20, cond_dim=cond, width=8, depth=2, pooled=pooled,
                         dilation=dilation, pac=pac)  # fmt: skip
    c = torch.randn(8, cond) if cond else None
    assert D(torch.rand(8, 4, 20), c).shape == (8,)
