"""Observable matching: G's penalty on the physics summaries' moments (feature matching).

The critic sees the observables (energy and magnetisation per spin, or the log power spectrum;
:func:`scigan.core.nets.observables`), but a critic judging batches of 64 cannot resolve what a
physicist tests on thousands of samples: a mean energy off by 0.006 per spin is 2σ at N = 1,000
on a 32² lattice at T_c, yet 0.06 of a single lattice's spread, far below what one batch shows.
This penalty adds the missing long-run signal: the standardised observables φ and their squares
φ² are averaged over the generated batch per condition value and compared with the same
moments of the *training* sample (computed once, over all of it), feature matching in the sense
of Salimans et al. (2016), restricted to the physical summaries:

    penalty = weight · Σ_c (n_c / B) · (m̂_c,1 − μ_c) · (m̂_c,2 − μ_c)

where μ_c are the training moments at condition c and m̂_c,1, m̂_c,2 the generated moments over
two disjoint halves of the batch rows with that condition. The product of two independent halves
is an unbiased estimate of the squared moment gap, so the penalty does not, as the square of one
batch mean would, also reward shrinking the generated spread. Matching E[φ] and E[φ²] pins the
mean energy and the specific heat, ⟨|m|⟩ and the susceptibility, and ⟨m⁴⟩ (Binder's cumulant);
everything else (the two-point function, the m > 0 balance, the lattice's texture) is left to
the critic, and the evaluation scores all of it against an independent simulator sample.

The observables are standardised per condition value by that value's own training mean and
spread (``scale="group"``, the fields default since 2026-12-07), so each temperature's moments
count in its own units; ``scale="pooled"`` uses D's scale (overall mean, within-condition spread
pooled over the values), under which the T = 2 magnetisation (spread 0.026 against a pooled
0.134) barely counted.

``stat="quantiles"`` (the default since session 17; ``"both"`` adds it to the moments) matches the
whole distribution of each standardised observable per condition value instead of its first two
moments: each half of the
batch rows with condition c is sorted per observable, and the product of the two halves' gaps
to the *expected order statistics* of as many training draws is averaged over the ranks,

    penalty_q = weight · Σ_c (n_c / B) · Σ_d mean_i (φ¹_(i),d − t_i,d) · (φ²_(i),d − t_i,d),

with t_i,d = E[X_(i:k)] for k draws (with replacement) from the training values of observable d
at condition c, computed exactly from the sorted training values by the incomplete beta function
(P(X_(i:k) ≤ y_(j)) = I_{j/M}(i, k − i + 1)). Independent halves make each rank's product an
unbiased estimate of its squared gap, so at the training distribution the penalty's expectation
is 0 and nothing rewards a narrower spread. Unlike E[φ] and E[φ²] it pushes every rank: a
generator whose |m| at T_c lacks the real lower tail (17 % of real lattices below |m| = 0.5, 1 %
of generated ones, at a shipped-default run's φ² gap of −0.6) is pulled there rank by rank.

``stat="means"`` matches E[φ] alone: for observables whose means are what the physics tests
(``series-lags``, whose means make the pooled variance and autocorrelation), where E[φ²], a
fourth moment of the counts, adds only noise.

Targets are moments (or order statistics) of the training data, never of the validation or test
samples, and never the exact values the evaluation compares with.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import betainc
from torch import Tensor, nn

from scigan.core.nets import anscombe_counts, binned_power, observables
from scigan.core.step import MAX_CONDITION_GROUPS
from scigan.domains.arrays import ArrayEncoder

#: Default weight per observable kind (``--set match=W`` overrides; 0 turns it off).
WEIGHTS = {"ising": 10.0, "ising-bonds": 10.0, "spectrum": 0.0}
#: Default ``match_momentum``: 0 estimates each step's gap from two half-batches.
MOMENTUM = 0.0
#: ``match_scale``: standardise by the pooled spread (D's) or by each condition value's own.
SCALES = ("pooled", "group")
#: Default ``match_scale`` (fields README, "Ising: position artefacts, texture and
#: per-temperature networks"): at seeds 0 / 1 the largest |z| over ⟨e⟩ and C at the three Ising
#: temperatures fell from 23.4 / 26.9 (pooled) to 10.2 / 6.9 on the test sample.
SCALE = "group"
#: ``match_stat``: what of each observable's distribution per condition value is matched.
STATS = ("moments", "quantiles", "both", "means")
#: The ``match_stat`` values that match ranks (and need the training values per condition).
RANKED = ("quantiles", "both")
#: Default ``match_stat`` (fields README, "Ising: matching the observables' distributions"):
#: chosen on the validation sample, the largest |z| over ⟨e⟩ and C at the three Ising
#: temperatures fell from 4.11 / 3.32 (moments) to 3.83 / 1.38 at seeds 0 / 1, χ at T_c rose
#: from 2.8 / 2.0 to 7.0 / 6.8 (real 12.5 / 15.2) and Binder's cumulant at T = 2.5 from 0.40 /
#: 0.33 to 0.20 / 0.20 (real 0.19 / 0.17).
STAT = "quantiles"


def expected_order_statistics(values: np.ndarray, k: int) -> np.ndarray:
    """E[X_(i:k)], i = 1 … k, for k draws with replacement from ``values`` (M,) — the
    expected sorted sample, exactly: the i-th smallest of k draws is at most the j-th smallest
    value y_(j) with probability P(Binomial(k, j/M) ≥ i) = I_{j/M}(i, k − i + 1)."""
    y = np.sort(np.asarray(values, dtype=np.float64))
    m = len(y)
    i = np.arange(1, k + 1, dtype=np.float64)[:, None]
    cdf = betainc(i, k - i + 1.0, np.arange(m + 1, dtype=np.float64)[None, :] / m)  # (k, M+1)
    return np.diff(cdf, axis=1) @ y


def _counts(x: Tensor, counts: list[float] | None) -> Tensor:
    return x if counts is None else anscombe_counts(x, *counts)


def _rows(mu: Tensor, sd: Tensor, index: Tensor) -> tuple[Tensor, Tensor]:
    """Per-row (mean, std): the shared ones, or each row's condition value's (2-D tables)."""
    return (mu, sd) if mu.dim() == 1 else (mu[index], sd[index])


def moments(
    x: Tensor, kind: str, mean: Tensor, std: Tensor, counts: list[float] | None = None
) -> Tensor:
    """[φ, φ²] per sample, φ = the standardised observables of ``x`` (B, 1, H, W), computed
    on the decoded counts when ``counts`` (the encoder's ``obs_counts``) is given."""
    if counts is not None:
        x = anscombe_counts(x, *counts)
    phi = (observables(x, kind) - mean) / std
    return torch.cat([phi, phi * phi], dim=1)


def observable_matching(
    kind: str,
    weight: float,
    data: Tensor,
    cond: Tensor | None,
    mean: list[float],
    std: list[float],
    obs_counts: list[float] | None = None,
    momentum: float = 0.0,
    scale: str = "pooled",
    stat: str = "moments",
) -> ObservableMatching | None:
    """The penalty ``(fake, fake_cond) -> scalar`` for training data ``data`` (encoded, with
    encoded conditions ``cond``), or None when it does not apply (weight 0, no observables, or
    a continuous condition). ``obs_counts``: the encoder's ``obs_counts`` (observables of
    Anscombe-encoded data are taken on the counts, as D takes them). ``momentum``: 0 for the
    split-half estimate of the gap, β in (0, 1) for its moving average (see
    :class:`ObservableMatching`). ``scale``: ``pooled`` standardises the observables by
    ``mean``/``std`` (D's: the overall mean and the pooled within-condition spread), ``group``
    by each condition value's own training mean and spread, so that every value's moments are
    matched in its own units (Ising at T = 2: |m| spreads by 0.026 against a pooled 0.13, so
    with the pooled scale its magnetisation moments weigh 1/25 of what a T = 2-only run gives
    them). ``stat``: ``moments`` (E[φ], E[φ²]), ``quantiles`` (every rank of each φ's
    distribution, see the module docstring) or ``both``."""
    if weight <= 0 or kind == "none":
        return None
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r}: choose one of {SCALES}")
    if stat not in STATS:
        raise ValueError(f"stat={stat!r}: choose one of {STATS}")
    if stat == "quantiles" and momentum > 0:
        raise ValueError("momentum averages the matched moments: use stat='moments' or 'both'")
    mu, sd = torch.tensor(mean), torch.tensor(std)
    if cond is None:
        groups = torch.zeros(1, 0)
        index = torch.zeros(len(data), dtype=torch.long)
    else:
        groups, index = torch.unique(cond, dim=0, return_inverse=True)
        # a continuous condition gets no penalty: moments per value would rest on one or two
        # training samples
        if len(groups) > MAX_CONDITION_GROUPS:
            return None
    counts = torch.bincount(index, minlength=len(groups)).double()
    if scale == "group":  # each condition value's observables in its own units
        with torch.no_grad():
            raw = torch.cat(
                [observables(_counts(b, obs_counts), kind) for b in torch.split(data, 1024)]
            ).double()
        first = torch.zeros(len(groups), raw.shape[1], dtype=torch.float64)
        second = torch.zeros_like(first)
        first.index_add_(0, index, raw)
        second.index_add_(0, index, raw * raw)
        mu = first / counts[:, None]
        var = second / counts[:, None] - mu * mu
        sd = torch.where(var > 1e-12, var.clamp_min(0).sqrt(), torch.ones_like(var))
        mu, sd = mu.float(), sd.float()
    with torch.no_grad():
        feats = torch.cat(
            [
                moments(b, kind, *_rows(mu, sd, i), obs_counts)
                for b, i in zip(torch.split(data, 1024), torch.split(index, 1024), strict=True)
            ]
        ).double()
    targets = torch.zeros(len(groups), feats.shape[1], dtype=torch.float64)
    targets.index_add_(0, index, feats)
    targets = (targets / counts[:, None]).float()
    if stat == "means":  # E[φ] only
        targets = targets[:, : targets.shape[1] // 2].contiguous()
    values = None  # the standardised training observables per condition value, for ranks
    if stat in RANKED:
        half = feats.shape[1] // 2
        values = [feats[index == c, :half].numpy() for c in range(len(groups))]
    return ObservableMatching(
        kind, weight, targets, groups.float(), mu, sd, obs_counts, momentum, stat, values
    )


class ObservableMatching(nn.Module):
    """G's penalty on the generated moments per condition value (see the module docstring).

    ``momentum`` 0: each step's squared gap is estimated by the product of two half-batch gaps
    (unbiased, stateless, but noisy: with 64 rows over three temperatures a half holds ~10
    lattices, whose mean energy scatters by ~0.15 of the pooled spread, while 2σ at N = 1,000
    is ~0.03). ``momentum`` β > 0: the gap is a bias-corrected moving average of the generated
    moments over past batches (weight 1 − β on the newest, as Adam's first moment), and the
    loss is weight · Σ_c (n_c / B) · [g_c² + 2 g_c · (m̂_c − sg(m̂_c))] with g_c = the averaged
    gap, held constant: its value is the averaged squared gap and its gradient that of the
    squared gap, 2 g_c ∇m̂_c, with the gap's noise cut by averaging ~1 / (1 − β) batches
    (moving-average feature matching, Santos et al. 2019). The average is training state:
    checkpoints save it (buffers ``ema`` and ``seen``), so a resumed run continues exactly.
    """

    def __init__(
        self,
        kind: str,
        weight: float,
        targets: Tensor,
        groups: Tensor,
        mean: Tensor,
        std: Tensor,
        obs_counts: list[float] | None,
        momentum: float,
        stat: str = "moments",
        values: list[np.ndarray] | None = None,
    ) -> None:
        super().__init__()
        self.kind, self.weight, self.obs_counts = kind, float(weight), obs_counts
        self.momentum, self.stat = float(momentum), stat
        if stat in RANKED and values is None:
            raise ValueError(f"stat={stat!r} needs the training values per condition value")
        self.values = values or []
        self._order: dict[tuple[int, int], Tensor] = {}
        self.register_buffer("targets", targets, persistent=False)
        self.register_buffer("groups", groups, persistent=False)
        self.register_buffer("mu", mean.float(), persistent=False)
        self.register_buffer("sd", std.float(), persistent=False)
        if self.momentum > 0:
            self.register_buffer("ema", torch.zeros_like(targets))
            self.register_buffer("seen", torch.zeros(len(targets)))

    def _group_of(self, fake_cond: Tensor | None, n: int, device: torch.device) -> Tensor:
        if fake_cond is None or len(self.groups) == 1:
            return torch.zeros(n, dtype=torch.long, device=device)
        # conditions are drawn from the training ones: the nearest is the same value
        return torch.cdist(fake_cond.float(), self.groups).argmin(dim=1)

    def order_targets(self, c: int, k: int) -> Tensor:
        """(k, D) expected order statistics of k training draws at condition value ``c``."""
        key = (c, k)
        if key not in self._order:
            cols = self.values[c].T
            self._order[key] = torch.tensor(
                np.stack([expected_order_statistics(v, k) for v in cols], axis=1),
                dtype=torch.float32,
            )
        return self._order[key]

    def _quantile_gap(self, phi: Tensor, c: int) -> Tensor:
        """Σ_d mean_i of the two halves' products of sorted gaps (module docstring)."""
        k = len(phi) // 2
        t = self.order_targets(c, k).to(phi.device)
        s1 = torch.sort(phi[0 : 2 * k : 2], dim=0).values - t
        s2 = torch.sort(phi[1 : 2 * k : 2], dim=0).values - t
        return (s1 * s2).mean(dim=0).sum()

    def forward(self, fake: Tensor, fake_cond: Tensor | None) -> Tensor:
        g = self._group_of(fake_cond, len(fake), fake.device)
        phi = moments(fake, self.kind, *_rows(self.mu, self.sd, g), self.obs_counts)
        if self.stat == "means":
            phi = phi[:, : phi.shape[1] // 2]
        total = fake.new_zeros(())
        for c in torch.unique(g).tolist():
            rows = torch.nonzero(g == c).flatten()
            t = self.targets[c]
            share = len(rows) / len(fake)
            if self.stat in RANKED and len(rows) >= 2:
                total = total + share * self._quantile_gap(phi[rows, : phi.shape[1] // 2], c)
                if self.stat == "quantiles":
                    continue
            if self.momentum <= 0:
                if len(rows) < 2:
                    continue
                d1 = phi[rows[0::2]].mean(dim=0) - t
                d2 = phi[rows[1::2]].mean(dim=0) - t
                total = total + share * (d1 * d2).sum()
                continue
            m = phi[rows].mean(dim=0)
            with torch.no_grad():
                beta = self.momentum
                self.ema[c] = beta * self.ema[c] + (1.0 - beta) * m.detach()
                self.seen[c] += 1
                gap = self.ema[c] / (1.0 - beta ** self.seen[c]) - t
            total = total + share * ((gap * gap).sum() + 2.0 * (gap * (m - m.detach())).sum())
        return self.weight * total


# --------------------------------------------------------------- continuous conditions

#: Default weight of the paired observable score per observable kind, for data with a
#: continuous condition (``--set match=W`` overrides; 0 turns it off). Calorimeter showers
#: score their energy per layer, per angular and per radial bin and in total (``projections``,
#: weight 30: fields README, "Calorimeter: the energy response scored per shower", where it
#: was chosen on the validation sample against weights 1 / 10 and ``layers`` alone).
SCORE_WEIGHTS = {"layers": 10.0, "projections": 30.0}


def physical_energies(x: Tensor, energy: list[float]) -> Tensor:
    """Decoded energies of encoded voxels, exactly as :meth:`ArrayEncoder.decode` returns them
    (values below the sparsity threshold are 0); differentiable above the threshold.
    ``energy``: (mean, std, scale, threshold) of the encoder's ``energy`` transform."""
    mean, std, scale, threshold = energy
    # the log energy is capped at e^30 ≈ 10¹³ times the scale: far above any shower, and
    # an overflow to inf would turn the score into NaN
    e = ArrayEncoder._physical(x.clamp(max=(30.0 - mean) / std), [mean, std, scale])
    return torch.where(e < threshold, torch.zeros_like(e), e)


def observable_score(
    kind: str,
    weight: float,
    data: Tensor,
    cond: Tensor,
    energy: list[float] | None = None,
    axes: list[int] | None = None,
    circular: list[int] | None = None,
) -> ObservableScore | None:
    """G's paired penalty on the observables of fields with a continuous condition (the
    calorimeter's incident energy), or None when ``weight`` is 0 or ``kind`` is ``none``.

    ``data`` (N, C, …) are the encoded training fields and ``cond`` (N, K) their encoded
    conditions; ``energy`` (mean, std, scale, threshold) decodes energies before ``layers``
    observables are taken; ``axes``: the encoder's order of the data's axes in the networks'
    layout (the observables read the data's own). Each observable is standardised by the
    training mean and by its spread *at fixed condition*: the residual standard deviation
    after a least-squares fit on (1, c, c²), so a layer's energy counts in units of its
    shower-to-shower fluctuation, not of its range over the incident energies. ``circular``:
    data axes (1 = the first after the channels) whose energy-weighted circular mean
    (Σ_k E_k cos 2πk/n, Σ_k E_k sin 2πk/n) / Σ E is scored as well — a shower's lean in
    angle, which the per-bin sums leave free."""
    if weight <= 0 or kind == "none":
        return None
    inverse = None if axes is None else [int(i) for i in np.argsort(axes)]
    circ = [int(a) for a in circular or []]
    with torch.no_grad():
        feats = torch.cat(
            [_features(_decoded(b, energy, inverse), kind, circ) for b in torch.split(data, 1024)]
        ).double()
    c = cond.double()
    design = torch.cat([torch.ones(len(c), 1, dtype=c.dtype), c, c * c], dim=1)
    coef = torch.linalg.lstsq(design, feats).solution
    resid = feats - design @ coef
    sd = resid.std(dim=0)
    sd = torch.where(sd > 1e-6, sd, torch.ones_like(sd))
    return ObservableScore(
        kind, weight, feats.mean(dim=0).float(), sd.float(), energy, inverse, circ
    )


def circular_mean(x: Tensor, axis: int) -> Tensor:
    """(B, 2) energy-weighted mean of (cos, sin) of the bin angle 2πk/n along ``axis`` of
    non-negative ``x`` (B, C, …): 0 for a shower spread evenly round the axis."""
    other = [d for d in range(1, x.dim()) if d != axis]
    sums = x.sum(dim=other)  # (B, n)
    n = sums.shape[1]
    theta = torch.arange(n, dtype=x.dtype, device=x.device) * (2 * math.pi / n)
    total = sums.sum(dim=1, keepdim=True).clamp_min(1e-12)
    return torch.stack([(sums * theta.cos()).sum(1), (sums * theta.sin()).sum(1)], 1) / total


def _features(x: Tensor, kind: str, circular: list[int]) -> Tensor:
    return torch.cat([observables(x, kind), *(circular_mean(x, a) for a in circular)], dim=1)


def _decoded(x: Tensor, energy: list[float] | None, inverse: list[int] | None) -> Tensor:
    if inverse is not None:  # the networks' layout → the data's axis order
        x = x.permute(0, *(i + 1 for i in inverse))
    return x if energy is None else physical_energies(x, energy)


class ObservableScore(nn.Module):
    """λ · the mean over observables of the energy score (CRPS) of each generated
    observable at a real shower's condition, estimated with two generated fields x, x' per
    real field y (:mod:`scigan.core.step` calls a ``paired`` penalty with them):

        S_d = ½ (|φ_d(x) − φ_d(y)| + |φ_d(x') − φ_d(y)|) − ½ |φ_d(x) − φ_d(x')|,

    an unbiased estimate of E|X_d − y_d| − ½ E|X_d − X'_d|, which, averaged over real y at
    condition c, is minimised exactly when each generated observable's distribution at c is
    the real one (a strictly proper scoring rule: Gneiting & Raftery 2007). It needs no
    binning of the condition — the quantile matching above does, and with a continuous
    condition each value has one training sample — and it does not reward a narrower
    spread. What is scored is what the evaluation decodes: energies below the sparsity
    threshold are 0."""

    paired = True

    def __init__(
        self,
        kind: str,
        weight: float,
        mean: Tensor,
        std: Tensor,
        energy: list[float] | None,
        inverse: list[int] | None = None,
        circular: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.kind, self.weight, self.inverse = kind, float(weight), inverse
        self.circular = list(circular or [])
        self.energy = None if energy is None else [float(v) for v in energy]
        self.register_buffer("mu", mean.float(), persistent=False)
        self.register_buffer("sd", std.float(), persistent=False)

    def phi(self, x: Tensor) -> Tensor:
        """(B, D) standardised observables of encoded fields ``x``."""
        phys = _decoded(x, self.energy, self.inverse)
        return (_features(phys, self.kind, self.circular) - self.mu) / self.sd

    def forward(self, fake: Tensor, cond: Tensor | None, *, real: Tensor, fake2: Tensor) -> Tensor:
        x, x2, y = self.phi(fake), self.phi(fake2), self.phi(real)
        score = 0.5 * ((x - y).abs() + (x2 - y).abs()) - 0.5 * (x - x2).abs()
        return self.weight * score.mean()


# ------------------------------------------------------------- spectral filter (maps)

#: Default weight of the spectral filter's penalty (``--set filter_weight=W``).
FILTER_WEIGHT = 10.0


class SpectrumFilterPenalty(nn.Module):
    """Trains G's radial filter (:class:`scigan.core.nets.SpectralFilter`) towards the
    training maps' mean power per integer |k| ≥ 1, in the networks' (encoded) space:

        penalty = weight · mean_k (P̂¹_k / P_k − 1) · (P̂²_k / P_k − 1),

    P_k the training maps' mean power in bin k (computed once), P̂¹, P̂² that of two disjoint
    halves of the generated batch (the product of independent halves is an unbiased estimate
    of the squared relative gap, as in :class:`ObservableMatching`). Its gradient reaches only
    the filter's gains: the generated power enters as sg(P̂) · H²/sg(H²), so the convolutional
    network is trained by the critic alone. The target is the training sample's spectrum.
    Opt-in and not adopted (fields README, "Maps: a learned radial filter").
    """

    def __init__(self, weight: float, target: Tensor, filt: nn.Module) -> None:
        super().__init__()
        self.weight = float(weight)
        self._filter = [filt]  # G's module, not this penalty's state (a list: not registered)
        self.register_buffer("target", target.float(), persistent=False)

    def forward(self, fake: Tensor, fake_cond: Tensor | None = None) -> Tensor:
        n = len(fake) // 2
        if n < 1:
            return fake.new_zeros(())
        power = _power(fake.detach())
        lg = self._filter[0].log_gain()
        live = torch.exp(2.0 * (lg - lg.detach()))[1 : len(self.target) + 1]
        p1 = power[0 : 2 * n : 2].mean(dim=0) * live
        p2 = power[1 : 2 * n : 2].mean(dim=0) * live
        ok = self.target > 0
        gap1 = (p1[ok] / self.target[ok]) - 1.0
        gap2 = (p2[ok] / self.target[ok]) - 1.0
        return self.weight * (gap1 * gap2).mean()


def _power(x: Tensor) -> Tensor:
    """(B, S/2) mean power per radial bin |k| = 1 … S/2 of maps (B, C, S, S), summed over C."""
    b, c = x.shape[:2]
    return binned_power(x.float().flatten(0, 1)).reshape(b, c, -1).sum(dim=1)


def spectrum_filter_penalty(
    weight: float, data: Tensor, filt: nn.Module
) -> SpectrumFilterPenalty | None:
    """The filter's penalty for training maps ``data`` (encoded, (N, C, S, S)), or None at
    weight 0. Bins 1 … S/2 (the evaluation's)."""
    if weight <= 0:
        return None
    with torch.no_grad():
        total = sum(_power(b).double().sum(dim=0) for b in torch.split(data, 512))
    return SpectrumFilterPenalty(weight, total / len(data), filt)
