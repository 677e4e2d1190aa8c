"""The shared sequence autoencoder's causal-convolution decoder (scigan.domains.latent)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from scigan.domains.latent import (
    AEConfig,
    SequenceAutoencoder,
    causal_dilations,
    choose_ngram,
    ngram_contexts,
    ngram_table,
    train_autoencoder,
)


def _model(length: int = 21, kernel: int = 3, zpos: int = 0, enc_conv: int = 0):
    torch.manual_seed(0)
    cfg = AEConfig(vocab=7, length=length, latent=8, embed=8, hidden=16, decoder="cnn",
                   kernel=kernel, zpos=zpos, enc_conv=enc_conv)  # fmt: skip
    model = SequenceAutoencoder(cfg).eval()
    for p in model.parameters():  # a non-trivial function: the zero position embedding moves
        torch.nn.init.normal_(p, std=0.3)
    return model


@pytest.mark.parametrize("kernel", [3, 5])
def test_dilations_cover_the_sequence(kernel):
    for length in (2, 21, 51, 101, 1000):
        d = causal_dilations(length, kernel)
        k = kernel - 1
        assert 1 + k * sum(d) >= length > 1 + k * sum(d[:-1]) or d == (1,)
    assert len(causal_dilations(101, 3)) == 6 and len(causal_dilations(101, 5)) == 5


@pytest.mark.parametrize(("kernel", "zpos"), [(3, 0), (5, 0), (3, 4)])
def test_decoder_is_causal(kernel, zpos):
    model = _model(kernel=kernel, zpos=zpos, enc_conv=zpos // 2)
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


@pytest.mark.parametrize(("kernel", "zpos"), [(3, 0), (5, 0), (3, 4)])
def test_cached_generation_matches_the_parallel_decoder(kernel, zpos):
    # greedy decoding with the per-block caches picks, at every position, the argmax of the
    # parallel (teacher-forced) logits of the finished sequence
    model = _model(kernel=kernel, zpos=zpos)
    z = torch.randn(16, 8)
    ids = model.generate(z, 21, temperature=0.0)
    logits = model.decode_logits(z, ids)
    ended = (ids == 2).long().cumsum(dim=1) - (ids == 2).long() > 0  # after <eos>: padding
    assert ((logits.argmax(dim=2) == ids) | ended).all()


# ----------------------------------------------------------------------------- n-gram prior
def _chain_ids(n: int, length: int, order: int, seed: int = 0) -> np.ndarray:
    """Token ids (alphabet 3…6, no <eos>) of a random order-``order`` chain."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(4, 0.3), size=4**order)  # sharp transitions
    ids = np.zeros((n, length), dtype=np.int64)
    for t in range(length):
        ctx = np.zeros(n, dtype=np.int64)
        for j in range(1, order + 1):
            prev = ids[:, t - j] - 3 if t - j >= 0 else np.zeros(n, dtype=np.int64)
            ctx = ctx * 4 + prev
        u = rng.random(n)[:, None]
        ids[:, t] = 3 + (u > probs[ctx].cumsum(axis=1)).sum(axis=1).clip(max=3)
    return ids


def test_ngram_contexts_by_hand():
    inputs = torch.tensor([[1, 3, 4, 5]])
    v = 7
    # k = 2: (previous, newest) = (bos, bos), (bos, 3), (3, 4), (4, 5)
    want = [1 * v + 1, 1 * v + 3, 3 * v + 4, 4 * v + 5]
    assert ngram_contexts(inputs, 2, v).tolist() == [want]
    assert ngram_contexts(inputs, 0, v).tolist() == [[0, 0, 0, 0]]
    assert ngram_contexts(inputs, 1, v).tolist() == [[1, 3, 4, 5]]


def test_ngram_table_counts_with_add_one_smoothing():
    ids = np.array([[3, 4, 3, 4], [3, 3, 4, 4]])
    table = ngram_table(ids, 1, 7).exp()
    # after token 3 (context 3): 4 follows three times, 3 once; add-one over 7 tokens
    assert torch.allclose(table[3, 4], torch.tensor(4 / 11))
    assert torch.allclose(table[3, 3], torch.tensor(2 / 11))
    # after <bos>: 3 twice
    assert torch.allclose(table[1, 3], torch.tensor(3 / 9))
    assert torch.allclose(table.sum(dim=1), torch.ones(7))


def test_held_out_likelihood_picks_the_true_order():
    ids = _chain_ids(6000, 30, order=2)
    k, nats = choose_ngram(ids[:5000], ids[5000:], 4, 7)
    assert k == 2, nats
    assert nats[2] < nats[1] < nats[0]


def test_decoder_with_ngram_prior_starts_as_the_chain_and_generates_consistently():
    ids = _chain_ids(2000, 21, order=2)
    cfg = AEConfig(vocab=7, length=21, latent=8, embed=8, hidden=16, decoder="cnn", ngram_max=3,
                   ngram=2)  # fmt: skip
    torch.manual_seed(0)
    model = SequenceAutoencoder(cfg).eval()
    table = ngram_table(ids, 2, 7)
    model.ngram.copy_(table)
    z = torch.randn(5, 8)
    x = torch.from_numpy(ids[:5])
    logp = torch.log_softmax(model.decode_logits(z, x), dim=2)
    inputs = torch.cat([torch.ones(5, 1, dtype=torch.long), x[:, :-1]], dim=1)
    assert torch.allclose(logp, table[ngram_contexts(inputs, 2, 7)], atol=1e-5)
    # with a trained-looking network on top, cached generation still reads the same contexts
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3)
    z = torch.randn(16, 8)
    out = model.generate(z, 21, temperature=0.0)
    ended = (out == 2).long().cumsum(dim=1) - (out == 2).long() > 0
    assert ((model.decode_logits(z, out).argmax(dim=2) == out) | ended).all()


def test_autoencoder_training_picks_and_stores_the_order():
    ids = _chain_ids(1200, 21, order=1, seed=1)
    cfg = AEConfig(vocab=7, length=21, latent=4, embed=4, hidden=8, decoder="cnn", steps=2,
                   batch=16, ngram_max=3)  # fmt: skip
    model, info = train_autoencoder(ids[:1000], cfg, seed=0, val_ids=ids[1000:])
    assert info["ngram"] == model.cfg.ngram == 1
    assert model.ngram.shape == (7, 7)
    assert cfg.key("d", 0) != replace(cfg, ngram_max=0).key("d", 0)
