"""Order-k Markov chains: exact log-likelihood, fitting, sampling, entropy rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scigan.domains.sequences.markov import MarkovChain, random_table


def test_exact_log_likelihood_order1_by_hand():
    # P(next | A) = (0.9, 0.1), P(next | B) = (0.2, 0.8); first symbol uniform.
    chain = MarkovChain.from_table("AB", np.array([[0.9, 0.1], [0.2, 0.8]]), 4)
    ll = chain.log_likelihood(["AABB", "BABA"])
    expect0 = math.log(0.5) + math.log(0.9) + math.log(0.1) + math.log(0.8)
    expect1 = math.log(0.5) + math.log(0.2) + math.log(0.1) + math.log(0.2)
    assert ll == pytest.approx([expect0, expect1], abs=1e-12)


def test_entropy_rate_closed_forms():
    iid = MarkovChain.from_table("ACGT", np.full((1, 4), 0.25), 10)
    assert iid.entropy_rate() == pytest.approx(math.log(4), abs=1e-12)
    # Two-state chain: π = (b, a)/(a+b) with a = P(A→B), b = P(B→A).
    a, b = 0.1, 0.2
    chain = MarkovChain.from_table("AB", np.array([[1 - a, a], [b, 1 - b]]), 10)
    h = lambda p: -(p * math.log(p) + (1 - p) * math.log(1 - p))  # noqa: E731
    assert chain.entropy_rate() == pytest.approx((b * h(a) + a * h(b)) / (a + b), abs=1e-9)


def test_samples_have_the_chain_likelihood_and_fit_recovers_the_table():
    table = random_table(4, 2, concentration=0.5, seed=3)
    true = MarkovChain.from_table("ACGT", table, 200)
    seqs = true.sample(2000, seed=1)
    assert {len(s) for s in seqs} == {200}
    # mean per-symbol log-likelihood → −entropy rate (law of large numbers)
    per_symbol = true.log_likelihood(seqs).mean() / 200
    assert per_symbol == pytest.approx(-true.entropy_rate(), abs=0.02)
    fitted = MarkovChain("ACGT", 2).fit(seqs)
    for ctx in range(16):
        assert fitted.probs(2, ctx) == pytest.approx(table[ctx], abs=0.03)
    # a fitted order-0 chain gives the symbol frequencies
    zero = MarkovChain("ACGT", 0, alpha=0.0).fit(seqs)
    counts = np.array([sum(s.count(c) for s in seqs) for c in "ACGT"], dtype=float)
    assert zero.probs(0, 0) == pytest.approx(counts / counts.sum())


def test_fitted_chain_backs_off_for_unseen_contexts_and_keeps_lengths():
    chain = MarkovChain("ACDE", 5).fit(["ACDEA", "CC", "DEADEAC"])
    p = chain.probs(5, 1234)  # never seen
    assert p.sum() == pytest.approx(1.0) and (p > 0).all()
    out = chain.sample(50, seed=0)
    assert {len(s) for s in out} <= {5, 2, 7}
    assert np.isfinite(chain.log_likelihood(out)).all()
