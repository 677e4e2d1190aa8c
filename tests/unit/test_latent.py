"""The shared sequence autoencoder's causal-convolution decoder (scigan.domains.latent)."""

from __future__ import annotations

import torch

from scigan.domains.latent import AEConfig, SequenceAutoencoder, causal_dilations


def _model(length: int = 21) -> SequenceAutoencoder:
    torch.manual_seed(0)
    cfg = AEConfig(vocab=7, length=length, latent=8, embed=8, hidden=16, decoder="cnn")
    model = SequenceAutoencoder(cfg).eval()
    for p in model.parameters():  # a non-trivial function: the zero position embedding moves
        torch.nn.init.normal_(p, std=0.3)
    return model


def test_dilations_cover_the_sequence():
    for length in (2, 21, 51, 101, 1000):
        d = causal_dilations(length)
        assert 1 + 2 * sum(d) >= length > 1 + 2 * sum(d[:-1]) or d == (1,)


def test_decoder_is_causal():
    model = _model()
    z = torch.randn(4, 8)
    ids = torch.randint(3, 7, (4, 21))
    base = model.decode_logits(z, ids)
    for t in (0, 7, 20):
        changed = ids.clone()
        changed[:, t] = 3 + (changed[:, t] - 2) % 4  # another residue at position t
        logits = model.decode_logits(z, changed)
        # logits at position s read tokens < s: positions ≤ t are unchanged, t + 1 changes
        assert torch.allclose(logits[:, : t + 1], base[:, : t + 1], atol=1e-6)
        if t + 1 < 21:
            assert not torch.allclose(logits[:, t + 1], base[:, t + 1], atol=1e-4)


def test_cached_generation_matches_the_parallel_decoder():
    # greedy decoding with the per-block caches picks, at every position, the argmax of the
    # parallel (teacher-forced) logits of the finished sequence
    model = _model()
    z = torch.randn(16, 8)
    ids = model.generate(z, 21, temperature=0.0)
    logits = model.decode_logits(z, ids)
    ended = (ids == 2).long().cumsum(dim=1) - (ids == 2).long() > 0  # after <eos>: padding
    assert ((logits.argmax(dim=2) == ids) | ended).all()
