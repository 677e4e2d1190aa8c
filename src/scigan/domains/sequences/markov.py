"""Order-k Markov chains: the ``markov`` dataset's true model and the baselines.

Position t is drawn from P(x_t | x_{t-j} … x_{t-1}) with j = min(t, k) (the first symbols use
the shorter contexts that exist). A *fitted* chain smooths each order towards the next lower
one (hierarchical Dirichlet / interpolated smoothing, MacKay & Peto 1995):

    P_j(x | c) = (n(c, x) + α P_{j-1}(x | c')) / (n(c) + α),   P_{-1} = uniform,

where c' drops the oldest symbol of c. Contexts never seen back off smoothly, so order 5 on
protein data (20⁵ contexts) needs memory only for the contexts that occur. Variable lengths:
lengths are drawn from the training length distribution; log-likelihoods condition on length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scigan.domains.sequences.encoding import symbol_indices
from scigan.errors import DataError


def to_index_matrix(seqs: Sequence[str], alphabet: str) -> np.ndarray:
    """(N, max_len) int64 symbol indices, -1 after each sequence's end."""
    out = symbol_indices(seqs, alphabet)
    for r, s in enumerate(seqs):
        bad = np.flatnonzero(out[r, : len(s)] < 0)
        if bad.size:
            pos = int(bad[0])
            raise DataError(
                f"sequence {r}: symbol {s[pos]!r} at position {pos + 1} not in {alphabet}"
            )
    return out


class MarkovChain:
    """Order-k Markov chain over ``alphabet``; fit by counting or built from an exact table.

    Args:
        alphabet: the symbols.
        order: k ≥ 0.
        alpha: smoothing strength of a fitted chain (pseudo-counts moved to the lower order).
    """

    def __init__(self, alphabet: str, order: int, *, alpha: float = 1.0) -> None:
        if order < 0:
            raise ValueError("order must be >= 0")
        self.alphabet, self.order, self.alpha = alphabet, order, alpha
        self.V = len(alphabet)
        self.table_: np.ndarray | None = None  # exact (V^k, V) transition table
        self.counts_: list[dict[int, np.ndarray]] = []
        self.lengths_ = np.array([1])
        self._memo: dict[tuple[int, int], np.ndarray] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_table(cls, alphabet: str, table: np.ndarray, length: int) -> MarkovChain:
        """Exact chain: uniform first k symbols, then rows of ``table`` (V^k, V), fixed length."""
        V = len(alphabet)
        order = round(np.log(table.shape[0]) / np.log(V)) if table.shape[0] > 1 else 0
        if V**order != table.shape[0] or table.shape[1] != V:
            raise ValueError(f"table shape {table.shape} does not fit alphabet size {V}")
        chain = cls(alphabet, order)
        chain.table_ = table / table.sum(axis=1, keepdims=True)
        chain.lengths_ = np.array([length])
        return chain

    def fit(self, seqs: Sequence[str]) -> MarkovChain:
        """Count contexts of every order 0…k over the training sequences."""
        x = to_index_matrix(seqs, self.alphabet)  # (N, L)
        self.lengths_ = np.array([len(s) for s in seqs])
        self.counts_, self._memo = [], {}
        V = self.V
        for j in range(self.order + 1):
            if x.shape[1] <= j:
                self.counts_.append({})
                continue
            ctx = np.zeros((len(x), x.shape[1] - j), dtype=np.int64)
            ok = x[:, j:] >= 0
            for i in range(j):  # oldest symbol is the most significant digit
                col = x[:, i : x.shape[1] - j + i]
                ok &= col >= 0
                ctx = ctx * V + col
            comb = (ctx * V + x[:, j:])[ok]
            keys, n = np.unique(comb, return_counts=True)
            table: dict[int, np.ndarray] = {}
            for c in np.unique(keys // V):
                table[int(c)] = np.zeros(V)
            for key, cnt in zip(keys, n, strict=True):
                table[int(key // V)][int(key % V)] = cnt
            self.counts_.append(table)
        return self

    # ------------------------------------------------------------------ probabilities
    def probs(self, j: int, ctx: int) -> np.ndarray:
        """P(x | context) for a context of length j (base-V id, oldest symbol first)."""
        key = (j, ctx)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if self.table_ is not None:
            p = self.table_[ctx] if j == self.order else np.full(self.V, 1.0 / self.V)
        else:
            lower = (
                np.full(self.V, 1.0 / self.V)
                if j == 0
                else self.probs(j - 1, ctx % self.V ** (j - 1))
            )
            n = self.counts_[j].get(ctx) if j < len(self.counts_) else None
            p = lower if n is None else (n + self.alpha * lower) / (n.sum() + self.alpha)
        self._memo[key] = p
        return p

    def _step_probs(self, j: int, ctx: np.ndarray) -> np.ndarray:
        """(N, V) probabilities for N contexts of length j."""
        uniq, inv = np.unique(ctx, return_inverse=True)
        return np.stack([self.probs(j, int(c)) for c in uniq])[inv]

    # ------------------------------------------------------------------ sampling and scoring
    def sample(self, n: int, *, seed: int) -> list[str]:
        """n sequences; lengths drawn from the training lengths."""
        rng = np.random.default_rng(seed)
        lengths = rng.choice(self.lengths_, size=n)
        L = int(lengths.max()) if n else 0
        x = np.zeros((n, L), dtype=np.int64)
        ctx = np.zeros(n, dtype=np.int64)
        for t in range(L):
            j = min(t, self.order)
            p = self._step_probs(j, ctx)  # (n, V)
            u = rng.random((n, 1))
            sym = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), self.V - 1)
            x[:, t] = sym
            ctx = ctx * self.V + sym
            if t + 1 > self.order:
                ctx = ctx % self.V**self.order if self.order else np.zeros_like(ctx)
        table = np.frombuffer(self.alphabet.encode("latin-1"), dtype=np.uint8)
        return [
            table[row[:ln]].tobytes().decode("latin-1") for row, ln in zip(x, lengths, strict=True)
        ]

    def log_likelihood(self, seqs: Sequence[str]) -> np.ndarray:
        """Exact natural-log likelihood of each sequence (conditional on its length), shape (N,)."""
        x = to_index_matrix(seqs, self.alphabet)
        n, L = x.shape
        ll = np.zeros(n)
        ctx = np.zeros(n, dtype=np.int64)
        for t in range(L):
            j = min(t, self.order)
            live = x[:, t] >= 0
            if not live.any():
                break
            p = self._step_probs(j, ctx[live])
            ll[live] += np.log(p[np.arange(live.sum()), x[live, t]])
            ctx = ctx * self.V + np.maximum(x[:, t], 0)
            if t + 1 > self.order:
                ctx = ctx % self.V**self.order if self.order else np.zeros_like(ctx)
        return ll

    def entropy_rate(self) -> float:
        """Mean per-symbol entropy (nats) of an exact table under its stationary distribution."""
        if self.table_ is None:
            raise ValueError("entropy_rate needs an exact table (from_table)")
        P = self.table_
        k, V = self.order, self.V
        # Transition between contexts: c → (c·V + x) mod V^k; power iteration for π.
        nxt = (np.arange(V**k)[:, None] * V + np.arange(V)[None, :]) % V**k
        pi = np.full(V**k, 1.0 / V**k)
        for _ in range(2000):
            new = np.zeros_like(pi)
            np.add.at(new, nxt.ravel(), (pi[:, None] * P).ravel())
            if np.abs(new - pi).max() < 1e-13:
                pi = new
                break
            pi = new
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.nansum(P * np.log(P), axis=1)
        return float(pi @ h)


def random_table(V: int, order: int, *, concentration: float, seed: int) -> np.ndarray:
    """A (V^k, V) transition table with Dirichlet(concentration) rows (seeded)."""
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(V, concentration), size=V**order)
