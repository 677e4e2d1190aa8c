"""Non-adversarial baselines to report beside the GANs.

:class:`NGramModel` — a token n-gram (Markov) model of SMILES or SELFIES with back-off to
shorter contexts: the classic "character language model" floor that any molecule generator
should beat on FCD (MOSES' CharRNN is its neural version).

:class:`LatentGaussian` — a full-covariance Gaussian fitted to the latent GAN's codes of the
training molecules and decoded by the same autoencoder: what the GAN adds over the simplest
density in the same latent space. :func:`prior_sample` — the variational autoencoder's own
sampler (codes from N(0, I)), MOSES' "VAE" row with our autoencoder.
"""

from __future__ import annotations

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
            return self.encoder.decode((self.mean_ + eps @ self.chol_.T).float())


def prior_sample(encoder: LatentEncoder, n: int, *, seed: int = 0) -> list[str]:
    """Decode codes drawn from the variational autoencoder's prior N(0, I) (raw code space)."""
    if encoder.code_mean_ is None:
        raise ValueError("the autoencoder is deterministic (ae_beta=0): it has no prior")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # the codes and the decoder's token draws
        z = torch.randn(n, len(encoder.code_mean_))
        return encoder.decode((z - encoder.code_mean_) / encoder.code_std_)  # un-standardised
