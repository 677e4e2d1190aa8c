"""Non-adversarial baselines to report beside the GANs.

:class:`NGramModel` — a token n-gram (Markov) model of SMILES or SELFIES with back-off to
shorter contexts: the classic "character language model" floor that any molecule generator
should beat on FCD (MOSES' CharRNN is its neural version).

:class:`LatentGaussian` — a full-covariance Gaussian fitted to the latent GAN's codes of the
training molecules and decoded by the same autoencoder: what the GAN adds over the simplest
density in the same latent space. :class:`LatentMixture` — a K-component Gaussian mixture
(EM, scikit-learn) on the active code dimensions: a density that can follow clusters.
:func:`prior_sample` — the variational autoencoder's own sampler (codes from N(0, I)), MOSES'
"VAE" row with our autoencoder.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from scigan.domains.molecules.tokens import Tokenizer

if TYPE_CHECKING:
    from scigan.domains.molecules.encoding import LatentEncoder

_BOS, _EOS = "^", "$"


class NGramModel:
    """Order-``order`` token Markov chain with back-off (longest seen context wins).

    Args:
        order: context length in tokens (n − 1 of the n-gram).
        alphabet: ``smiles`` or ``selfies`` tokens.
        max_len: generation stops after this many tokens (the sample is then cut there).
    """

    def __init__(self, order: int = 6, alphabet: str = "smiles", max_len: int = 100) -> None:
        self.order = order
        self.alphabet = alphabet
        self.max_len = max_len

    def fit(self, smiles: Sequence[str]) -> NGramModel:
        self.tokenizer_ = Tokenizer(self.alphabet)
        counts: dict[tuple[str, ...], Counter] = defaultdict(Counter)
        for s in smiles:
            toks = [_BOS] * self.order + self.tokenizer_.split(s) + [_EOS]
            for i in range(self.order, len(toks)):
                for k in range(self.order + 1):  # contexts of length 0 … order
                    counts[tuple(toks[i - k : i])][toks[i]] += 1
        self.table_ = {
            ctx: (list(c), np.cumsum(np.array(list(c.values()), dtype=np.float64)))
            for ctx, c in counts.items()
        }
        return self

    def sample(self, n: int, *, seed: int = 0) -> list[str]:
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            toks = [_BOS] * self.order
            for _ in range(self.max_len):
                for k in range(self.order, -1, -1):
                    entry = self.table_.get(tuple(toks[len(toks) - k :]) if k else ())
                    if entry is not None:
                        break
                symbols, cum = entry
                nxt = symbols[int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))]
                if nxt == _EOS:
                    break
                toks.append(nxt)
            out.append(self.tokenizer_.join(toks[self.order :]))
        return out


class LatentGaussian:
    """N(mean, cov) of the codes ``encoder.encode(smiles)`` (the GAN's training tensors), sampled
    and decoded to SMILES by the encoder's autoencoder.

    Args:
        encoder: a fitted :class:`~scigan.domains.molecules.encoding.LatentEncoder`.
    """

    def __init__(self, encoder: LatentEncoder) -> None:
        self.encoder = encoder

    def fit(self, smiles: Sequence[str]) -> LatentGaussian:
        codes = self.encoder.encode(list(smiles)).double()  # (N, Z)
        self.mean_ = codes.mean(dim=0)
        cov = torch.cov(codes.T)
        jitter = 1e-6 * cov.diagonal().mean() * torch.eye(len(cov), dtype=cov.dtype)
        self.chol_ = torch.linalg.cholesky(cov + jitter)  # (Z, Z), lower
        return self

    def sample(self, n: int, *, seed: int = 0) -> list[str]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the codes and the decoder's token draws
            eps = torch.randn(n, len(self.mean_), dtype=torch.float64)
            return self.encoder.decode_codes(
                self.encoder.to_codes((self.mean_ + eps @ self.chol_.T).float()), adapted=False
            )


def fit_gaussian_mixture(
    x: torch.Tensor, k: int, *, iters: int = 40, seed: int = 0, reg: float = 1e-4
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[float]]:
    """Full-covariance Gaussian mixture by EM (Dempster et al. 1977) on ``x`` (N, D), float64:
    scikit-learn's :class:`~sklearn.mixture.GaussianMixture`, ``iters`` EM iterations.

    Means start at ``k`` distinct rows drawn with ``seed``, covariances at the identity, weights
    uniform; ``reg`` is added to each covariance's diagonal (``reg_covar``). Returns (weights
    (K,), means (K, D), Cholesky factors of the covariances (K, D, D), mean log-likelihood per
    EM iteration — non-decreasing up to the regularisation).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    x = x.double()
    n, d = x.shape
    gen = torch.Generator().manual_seed(seed)
    means = x[torch.randperm(n, generator=gen)[:k]].numpy()  # (K, D)
    gm = GaussianMixture(
        k,
        covariance_type="full",
        reg_covar=reg,
        max_iter=1,  # one EM iteration per fit(): warm_start continues, the history is read
        warm_start=True,
        init_params="random_from_data",  # replaced by the explicit start below
        weights_init=np.full(k, 1.0 / k),
        means_init=means,
        precisions_init=np.broadcast_to(np.eye(d), (k, d, d)).copy(),
        random_state=seed,
    )
    data = x.numpy()
    history = []
    # one BLAS thread: on a shared 2-core machine OpenBLAS' spinning workers made the same fit
    # ~18× slower (measured: 220 s vs 12 s for 40 iterations, 20,000 × 17, K = 16)
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # by design: one iteration per call
        for _ in range(iters):
            gm.fit(data)
            history.append(float(gm.lower_bound_))  # mean log-likelihood before the M-step
    chol = np.linalg.cholesky(gm.covariances_)  # (K, D, D), lower
    as_t = torch.from_numpy
    return as_t(gm.weights_.copy()), as_t(gm.means_.copy()), as_t(chol), history


class LatentMixture:
    """A ``components``-Gaussian mixture (EM, full covariances) on the active dimensions of the
    codes ``encoder.encode(smiles)`` (raw variance above ``active_variance``; the others stay at
    their mean), sampled and decoded by the encoder's autoencoder. Fitted on at most ``max_fit``
    molecules (drawn with ``seed``).
    """

    def __init__(
        self,
        encoder: LatentEncoder,
        components: int = 16,
        *,
        active_variance: float = 0.01,
        iters: int = 40,
        max_fit: int = 100_000,
        seed: int = 0,
    ) -> None:
        self.encoder, self.components, self.iters = encoder, components, iters
        self.active_variance, self.max_fit, self.seed = active_variance, max_fit, seed

    def fit(self, smiles: Sequence[str]) -> LatentMixture:
        enc = self.encoder
        if enc.code_mean_ is None:
            raise ValueError("the autoencoder is deterministic (ae_beta=0): use LatentGaussian")
        smiles = list(smiles)
        if len(smiles) > self.max_fit:
            rng = np.random.default_rng(self.seed)
            smiles = [smiles[i] for i in rng.choice(len(smiles), self.max_fit, replace=False)]
        self.keep_ = enc.code_std_[enc.active_].square() > self.active_variance  # GAN dims
        x = enc.encode(smiles)[:, self.keep_]
        self.weights_, self.means_, self.chol_, self.loglik_ = fit_gaussian_mixture(
            x, self.components, iters=self.iters, seed=self.seed
        )
        return self

    def sample(self, n: int, *, seed: int = 0) -> list[str]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the codes and the decoder's token draws
            comp = torch.multinomial(self.weights_, n, replacement=True)
            eps = torch.randn(n, self.means_.shape[1], dtype=torch.float64)
            z = self.means_[comp] + (self.chol_[comp] @ eps[..., None])[..., 0]
            full = torch.zeros(n, self.encoder.gan_dim)  # standardised codes: 0 = the mean
            full[:, self.keep_] = z.float()
            return self.encoder.decode_codes(self.encoder.to_codes(full), adapted=False)


def prior_sample(encoder: LatentEncoder, n: int, *, seed: int = 0) -> list[str]:
    """Decode codes drawn from the variational autoencoder's prior N(0, I) (raw code space)."""
    if encoder.code_mean_ is None:
        raise ValueError("the autoencoder is deterministic (ae_beta=0): it has no prior")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the codes and the decoder's token draws
        return encoder.decode_codes(torch.randn(n, len(encoder.code_mean_)), adapted=False)
