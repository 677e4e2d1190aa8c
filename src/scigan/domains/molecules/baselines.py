"""Non-adversarial baselines to report beside the GANs.

:class:`NGramModel` — a token n-gram (Markov) model of SMILES or SELFIES with back-off to
shorter contexts: the classic "character language model" floor that any molecule generator
should beat on FCD (MOSES' CharRNN is its neural version).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from scigan.domains.molecules.tokens import Tokenizer

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
