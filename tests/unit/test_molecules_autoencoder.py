"""The latent GAN's sequence autoencoder: the β-VAE objective against its closed form, learning
a few molecules exactly, code standardisation, and old (deterministic) runs loading unchanged."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from scigan.domains.latent import (
    AEConfig,
    SequenceAutoencoder,
    _after_eos,
    reconstruction_accuracy,
    reconstruction_loss,
    train_autoencoder,
)

# 6 sequences over a 9-symbol vocabulary (0 pad, 1 bos, 2 eos), lengths 3-7
IDS = np.array(
    [
        [3, 4, 5, 2, 0, 0, 0, 0],
        [3, 3, 6, 7, 2, 0, 0, 0],
        [8, 7, 6, 5, 4, 3, 2, 0],
        [5, 5, 5, 2, 0, 0, 0, 0],
        [4, 8, 4, 8, 4, 8, 4, 2],
        [6, 7, 8, 2, 0, 0, 0, 0],
    ],
    dtype=np.int64,
)


def _model(**kw) -> SequenceAutoencoder:
    torch.manual_seed(0)
    cfg = AEConfig(vocab=9, length=8, latent=4, embed=8, hidden=32, **kw)
    return SequenceAutoencoder(cfg)


@pytest.mark.parametrize("decoder", ["mlp", "gru"])
def test_beta_vae_loss_is_nats_per_molecule_plus_beta_kl(decoder):
    model = _model(decoder=decoder, beta=0.5, precision="fp32")
    ids = torch.from_numpy(IDS)
    torch.manual_seed(1)
    with_kl = reconstruction_loss(model, ids, noise=0.0, beta=0.5)
    torch.manual_seed(1)  # the same posterior sample
    without = reconstruction_loss(model, ids, noise=0.0, beta=0.0)
    mu, logvar = model.posterior(ids)
    var = logvar.exp()
    kl = (0.5 * (mu**2 + var - 1 - logvar)).sum(1).mean()  # KL(N(μ, σ²) || N(0, 1)), closed form
    assert torch.allclose(with_kl - without, 0.5 * kl, rtol=1e-5)
    # the reconstruction term is the summed token cross-entropy up to <eos>, per molecule
    torch.manual_seed(1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    logp = torch.log_softmax(model.decode_logits(z, ids), dim=2)
    picked = logp.gather(2, ids.unsqueeze(2)).squeeze(2)
    nats = -(picked * (~_after_eos(ids))).sum() / len(ids)
    assert torch.allclose(without, nats, rtol=1e-5)


def test_deterministic_autoencoder_has_bounded_codes_and_no_kl():
    model = _model(beta=0.0)
    mu, logvar = model.posterior(torch.from_numpy(IDS))
    assert logvar is None and mu.abs().max() < 1
    assert not hasattr(model, "to_logvar")  # old state dicts load with strict=True


@pytest.mark.parametrize("decoder", ["mlp", "gru"])
def test_variational_autoencoder_learns_the_sequences(decoder):
    cfg = AEConfig(vocab=9, length=8, latent=4, embed=8, hidden=64, decoder=decoder, beta=0.01,
                   steps=400, batch=6, lr=5e-3, precision="fp32")  # fmt: skip
    model, info = train_autoencoder(np.repeat(IDS, 20, axis=0), cfg, seed=0)
    assert info["steps"] == 400
    assert reconstruction_accuracy(model, IDS) == 1.0
    # a code a fraction of the posterior width away still decodes to the same sequence
    mu, logvar = model.posterior(torch.from_numpy(IDS))
    torch.manual_seed(0)
    near = mu + 0.2 * torch.exp(0.5 * logvar) * torch.randn_like(mu)
    out = model.greedy(near, 8)
    mask = ~_after_eos(torch.from_numpy(IDS))
    assert bool(((out == torch.from_numpy(IDS)) | ~mask).all())


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="beta"):
        AEConfig(vocab=9, length=8, beta=-1)
    with pytest.raises(ValueError, match="precision"):
        AEConfig(vocab=9, length=8, precision="fp8")


def test_token_draws_follow_the_softmax_at_the_temperature():
    logits = torch.tensor([[[2.0, 0.0, -1.0, 1.0]]]).expand(20000, 1, 4).contiguous()
    torch.manual_seed(0)
    for t in (1.0, 0.5):
        draws = SequenceAutoencoder._pick(logits, t).flatten()
        freq = torch.bincount(draws, minlength=4).double() / len(draws)
        p = torch.softmax(logits[0, 0].double() / t, dim=0)
        # binomial standard error ≤ 0.0036 at n = 20000: 5 of them
        assert torch.allclose(freq, p, atol=0.018), (t, freq, p)
    assert bool((SequenceAutoencoder._pick(logits, 0.0) == 0).all())  # greedy = argmax


@pytest.mark.parametrize("decoder", ["mlp", "gru"])
def test_sampled_decoding_is_seeded_and_cold_sampling_is_greedy(decoder):
    model = _model(decoder=decoder, beta=0.1, precision="fp32")
    z = torch.randn(16, 4, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(5)
    a = model.generate(z, 8, temperature=1.0)
    torch.manual_seed(5)
    assert torch.equal(a, model.generate(z, 8, temperature=1.0))
    assert torch.equal(model.generate(z, 8, temperature=1e-6), model.greedy(z, 8))


def test_invalid_decodes_are_drawn_again_from_the_same_code(monkeypatch):
    """First at the decoding temperature; codes whose SMILES RDKit rejects are decoded again at
    max(temperature, RETRY_TEMPERATURE), only those codes, at most ``retries`` times; a code that
    never decodes validly stays invalid."""
    pytest.importorskip("rdkit")
    from scigan.domains.molecules.encoding import RETRY_TEMPERATURE, TEMPERATURE, LatentEncoder

    # code 0 decodes validly at once, code 1 only at its second retry, code 2 never
    readings = {0: ["CCO"], 1: ["c1ccc", "C1CC", "CCN"], 2: ["C1CC"]}
    calls = []

    def fake_generate(model, x, temperature):
        rows = [round(float(v) * 10) for v in x[:, 0]]
        calls.append((temperature, rows))
        return [readings[k][min(len(calls) - 1, len(readings[k]) - 1)] for k in rows]

    x = torch.tensor([[0.0, 0, 0, 0], [0.1, 0, 0, 0], [0.2, 0, 0, 0]])
    enc = LatentEncoder("smiles", retries=3, temperature=0.0)
    enc.model_ = _model(beta=0.0)
    monkeypatch.setattr(enc, "_generate", fake_generate)
    assert enc.decode(x) == ["CCO", "CCN", "C1CC"]
    assert calls == [(0.0, [0, 1, 2]), (RETRY_TEMPERATURE, [1, 2]), (RETRY_TEMPERATURE, [1, 2]),
                     (RETRY_TEMPERATURE, [2])]  # fmt: skip
    # at the default temperature (above RETRY_TEMPERATURE) the retries draw at that temperature
    calls.clear()
    enc.temperature = TEMPERATURE
    assert enc.decode(x) == ["CCO", "CCN", "C1CC"]
    assert [t for t, _ in calls] == [TEMPERATURE] * 4 and TEMPERATURE > RETRY_TEMPERATURE
    calls.clear()
    enc.retries = 0
    assert enc.decode(x) == ["CCO", "c1ccc", "C1CC"] and len(calls) == 1
    # saved with the setting; runs saved before retries existed load with none
    state = enc.state_dict()
    assert state["retries"] == 0
    state["retries"] = 3
    again = LatentEncoder("smiles", retries=0)
    again.load_state_dict(state)
    assert again.retries == 3
    assert again.temperature == TEMPERATURE == LatentEncoder("smiles").temperature
    del state["retries"], state["temperature"]
    again.load_state_dict(state)
    assert again.retries == 0 and again.temperature == 0.0  # older runs: greedy, no retries


def test_the_gan_models_the_active_code_dimensions_only():
    """Dimensions whose posterior mean barely varies (collapsed to the prior) are dropped from the
    GAN's tensors and decoded at their mean; the active ones round-trip exactly; a run saved
    before active dimensions existed loads with all of them."""
    from scigan.domains.molecules.encoding import LatentEncoder

    gen = torch.Generator().manual_seed(0)
    scale = torch.tensor([2.0, 0.01, 0.5, 0.001])  # variances 4, 1e-4, 0.25, 1e-6
    codes = torch.randn(5000, 4, generator=gen) * scale + torch.tensor([1.0, -0.3, 0.0, 0.2])
    enc = LatentEncoder("smiles", active_variance=0.01)
    enc.model_ = _model(beta=0.5)
    enc.fit_codes(codes)
    assert enc.active_.tolist() == [0, 2] and enc.gan_dim == 2 and enc.latent_dim == 4
    assert enc.output_spans()[0].dim == 2
    x = (codes[:, [0, 2]] - codes[:, [0, 2]].mean(0)) / codes[:, [0, 2]].std(0)  # what encode gives
    back = enc.to_codes(x)
    assert torch.allclose(back[:, [0, 2]], codes[:, [0, 2]], atol=1e-5)
    assert torch.allclose(back[:, [1, 3]], codes[:, [1, 3]].mean(0).expand(5000, 2))
    # no dimension above the threshold: the most variable one is kept
    enc.active_variance = 100.0
    enc.fit_codes(codes)
    assert enc.active_.tolist() == [0]
    # 0 keeps every dimension (the previous behaviour), and old states load with all of them
    enc.active_variance = 0.0
    enc.fit_codes(codes)
    assert enc.gan_dim == 4
    state = enc.state_dict()
    assert state["codes"]["active"] == [0, 1, 2, 3]
    del state["codes"]["active"], state["active_variance"]
    again = LatentEncoder("smiles", active_variance=0.01)
    again.load_state_dict(state)
    assert again.active_.tolist() == [0, 1, 2, 3] and again.active_variance == 0.0


def test_gaussian_mixture_em_recovers_known_components_and_climbs():
    """EM on two well-separated 2-D Gaussians with known weights, means and covariances recovers
    them; its log-likelihood never decreases; one component is the sample mean and covariance
    (the closed form)."""
    from scigan.domains.molecules.baselines import fit_gaussian_mixture

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(6000, 2, generator=gen, dtype=torch.float64) @ torch.tensor(
        [[1.0, 0.0], [0.8, 0.6]], dtype=torch.float64
    ).T + torch.tensor([6.0, 0.0], dtype=torch.float64)  # cov [[1, .8], [.8, 1]]
    b = 0.5 * torch.randn(2000, 2, generator=gen, dtype=torch.float64) - 6.0  # cov 0.25 I
    x = torch.cat([a, b])
    w, mu, chol, hist = fit_gaussian_mixture(x, 2, iters=30, seed=1, reg=0.0)
    order = torch.argsort(mu[:, 0], descending=True)
    w, mu, cov = w[order], mu[order], (chol @ chol.transpose(1, 2))[order]
    assert torch.allclose(w, torch.tensor([0.75, 0.25], dtype=w.dtype), atol=1e-3)
    assert torch.allclose(mu[0], a.mean(0), atol=1e-3) and torch.allclose(
        mu[1], b.mean(0), atol=1e-3
    )
    assert torch.allclose(
        cov[0], torch.tensor([[1.0, 0.8], [0.8, 1.0]], dtype=cov.dtype), atol=0.06
    )
    assert torch.allclose(cov[1], 0.25 * torch.eye(2, dtype=cov.dtype), atol=0.02)
    assert all(later >= earlier - 1e-9 for earlier, later in itertools.pairwise(hist))
    _, mu1, chol1, _ = fit_gaussian_mixture(x, 1, iters=2, reg=0.0)
    sample_cov = torch.cov(x.T, correction=0)
    assert torch.allclose(mu1[0], x.mean(0)) and torch.allclose(chol1[0] @ chol1[0].T, sample_cov)


def test_adapted_decoder_pairs_each_molecule_with_its_own_code():
    """A generator that emits exactly the training molecules' codes (shuffled) is matched back
    to them: the assignment's mean distance is 0, and the adaptation then lowers the decoder's
    loss on the true (code, molecule) pairs. The encoder is untouched."""
    from scigan.domains.latent import adapt_decoder

    model = _model(beta=0.5, steps=1)
    data = torch.from_numpy(IDS)
    with torch.no_grad():
        mu = model.encode(data)

    def draw(rows, seed):
        perm = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))
        return mu[rows][perm]

    def nats(m):
        with torch.no_grad():
            logits = m.decode_logits(mu, data)
            target = data.masked_fill(_after_eos(data), -100)
            return float(torch.nn.functional.cross_entropy(logits.transpose(1, 2), target,
                                                           ignore_index=-100))  # fmt: skip

    rows = []
    dec, info = adapt_decoder(model, IDS, draw, steps=60, seed=0, batch=6, lr=1e-2, log=rows.append)
    assert info["distance"] == pytest.approx(0.0, abs=1e-5) and info["steps"] == 60
    assert nats(dec) < 0.5 * nats(model)
    assert [r["step"] for r in rows] == []  # logged every 100 steps only
    for (name, a), b in zip(model.state_dict().items(), dec.state_dict().values(), strict=True):
        if not name.startswith(("embed.", "from_z.", "gru.", "out.")):
            assert torch.equal(a, b), name  # the encoder's weights are the model's
    assert not dec.training and all(p.requires_grad for p in dec.parameters())


def test_adapted_decoder_coupling_is_optimal():
    """Each step's pairing minimises the summed distance: against every permutation of a small
    batch, the logged mean distance is the brute-force minimum (in posterior-σ units)."""
    from scigan.domains.latent import adapt_decoder

    model = _model(beta=0.5, steps=1)
    data = torch.from_numpy(IDS)
    with torch.no_grad():
        mu, logvar = model.posterior(data)
    scale = 1.0 / (0.5 * logvar).exp().mean(dim=0)
    fake = torch.randn(6, 4, generator=torch.Generator().manual_seed(1))
    seen = {}

    def draw(rows, seed):
        seen["rows"] = rows.clone()
        return fake

    _, info = adapt_decoder(model, IDS, draw, steps=1, seed=0, batch=6)
    cost = torch.cdist(mu[seen["rows"]] * scale, fake * scale)
    best = min(float(cost[range(6), list(p)].mean()) for p in itertools.permutations(range(6)))
    assert info["distance"] == pytest.approx(best, rel=1e-5)


def test_adapted_decoder_pairs_codes_within_their_condition_cell():
    """A conditional generator's code, drawn at row j's condition, is paired only with a
    molecule of the same condition cell: the logged distance is the brute-force minimum over
    the permutations that keep every pair inside its cell, above the unrestricted minimum."""
    from scigan.domains.latent import adapt_decoder

    model = _model(beta=0.5, steps=1)
    data = torch.from_numpy(IDS)
    with torch.no_grad():
        mu, logvar = model.posterior(data)
    scale = 1.0 / (0.5 * logvar).exp().mean(dim=0)
    fake = torch.randn(6, 4, generator=torch.Generator().manual_seed(1))
    cells = np.array([0, 1, 0, 1, 0, 1])
    seen = {}

    def draw(rows, seed):
        seen["rows"] = rows.clone()
        return fake

    _, info = adapt_decoder(model, IDS, draw, steps=1, seed=0, batch=6, cells=cells)
    rows = seen["rows"]
    cost = torch.cdist(mu[rows] * scale, fake * scale)
    cell = cells[rows.numpy()]
    perms = list(itertools.permutations(range(6)))
    within = [p for p in perms if all(cell[i] == cell[j] for i, j in enumerate(p))]
    best_within = min(float(cost[range(6), list(p)].mean()) for p in within)
    best_any = min(float(cost[range(6), list(p)].mean()) for p in perms)
    assert info["distance"] == pytest.approx(best_within, rel=1e-5)
    assert len(set(cell)) == 2 and best_within >= best_any


def test_condition_cells():
    from scigan.domains.latent import condition_cells

    assert condition_cells(None) is None
    qed = np.linspace(0.1, 0.9, 80)
    one = condition_cells(qed)
    assert sorted(np.bincount(one)) == [10] * 8  # 8 equal-count bins of one property
    assert all(np.diff(one) >= 0)  # ordered by value
    rng = np.random.default_rng(0)
    two = condition_cells(rng.uniform(size=(900, 2)))
    assert len(np.unique(two)) == 9 and np.bincount(two).min() > 60  # 3 × 3 bins
    cat = condition_cells(np.array([["a", 0.1], ["b", 0.2], ["a", 0.3], ["b", 0.4]], dtype=object))
    assert len(np.unique(cat)) == 4


def test_validation_checks_keep_the_lowest_held_out_loss_and_stop_early():
    """Train on 3 sequences, check on the 3 others: the weights returned are those of the
    lowest held-out loss (recomputed here with the same noise draws), training stops
    ``patience`` checks after it, and the checks leave the training trajectory unchanged."""
    from scigan.domains.latent import validation_loss

    train, held = np.repeat(IDS[:3], 20, axis=0), IDS[3:]
    kw = dict(vocab=9, length=8, latent=4, embed=8, hidden=64, decoder="mlp", beta=0.01,
              steps=600, batch=6, lr=5e-3, precision="fp32")  # fmt: skip
    cfg = AEConfig(**kw, eval_every=20, patience=3)
    model, info = train_autoencoder(train, cfg, seed=0, val_ids=held)
    curve = dict(map(tuple, info["val_curve"]))
    assert info["best_step"] == min(curve, key=curve.get) and info["val_rows"] == 3
    assert info["steps"] < 600 and info["steps"] == info["best_step"] + 3 * 20  # stopped early
    eps = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    again = validation_loss(model, torch.from_numpy(held), eps, cfg)
    assert again == pytest.approx(info["val_loss"], rel=1e-6)
    # one check at the last step: the same weights as training without any
    one, _ = train_autoencoder(train, AEConfig(**{**kw, "steps": 40}, eval_every=1000),
                               seed=0, val_ids=held)  # fmt: skip
    plain, plain_info = train_autoencoder(train, AEConfig(**{**kw, "steps": 40}), seed=0)
    assert "best_step" not in plain_info
    for a, b in zip(one.state_dict().values(), plain.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_no_validation_settings_keep_the_autoencoders_cache_key():
    """Molecules never pass validation sequences: their cached autoencoders keep their keys."""
    cfg = AEConfig(vocab=23, length=51)
    assert cfg.key("abc", 1) == "a87881d0716c915d"  # the key before validation checks existed
    assert AEConfig(vocab=23, length=51, eval_every=200).key("abc", 1) != cfg.key("abc", 1)
    assert cfg.key("abc", 1, val_hash="v") != cfg.key("abc", 1)
