"""The ``fields`` domain: GAN surrogates for physics simulators, judged by the physics.

Datasets (generated in-process, seeded, cached): ``ising2d`` (conditional on T), ``grf``,
``lognormal``, ``calo`` (conditional on the incident energy E in GeV) and ``cellgrowth``;
plus user arrays (.npy / .npz / .h5) of shape (N, H, W), (N, C, H, W) or (N, C, L).
See ``README.md`` in this folder for the options, the metrics and their closed forms.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_bytes
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    DemoSpec,
    MetricResult,
    SampleFn,
    parse_named_conditions,
)
from scigan.domains.fields import data as fdata
from scigan.domains.fields import metrics as fm
from scigan.domains.fields.encoding import FieldEncoder
from scigan.domains.fields.exact import gaussian_minkowski, ising_exact, telegraph_moments
from scigan.domains.fields.nets import ConvDiscriminator, ConvGenerator
from scigan.domains.fields.simulators import CALO_R_EDGES, power_law_spectrum
from scigan.errors import DataError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

FIDELITY = "fidelity"  # the per-dataset headline discrepancy that selects the best checkpoint
MF_NU = np.linspace(-2.5, 2.5, 11)  # Minkowski thresholds in units of σ (quantiles for others)
CALO_CLASSIFIER_MAX_N = 3000

# Shipped defaults per dataset, sized for 2 CPU cores (benchmarks/fields.py measures them):
# ~0.3-1 s per step for 32² Ising at batch 64, so 2000 steps take 10-30 min depending on load.
_CONV_DEFAULTS: dict[str, Any] = {
    "z_dim": 64,
    "g_width": 32,
    "d_width": 32,
    "g_depth": 1,
    "d_depth": 1,
    "spectral_norm": True,
    "minibatch_std": True,  # the Ising T = 2 specific heat collapsed without it (1000 steps)
    "loss": "ns",
    "batch_size": 64,
    # lr 1e-4 and a short EMA: at 2e-4 (and EMA 0.999) 16² Ising runs oscillated between
    # good and collapsed states within a few hundred steps (measured, see RESULTS.md).
    "lr_g": 1e-4,
    "lr_d": 1e-4,
    "beta1": 0.5,
    "beta2": 0.99,
    "ema_decay": 0.99,
    "steps": 2000,
    "eval_every": 500,
    "ckpt_every": 500,
    "eval_n": 500,
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "ising2d": {**_CONV_DEFAULTS},
    # 64² maps cost 4× a 32² lattice per sample: narrower nets and smaller batches.
    "grf": {**_CONV_DEFAULTS, "g_width": 16, "d_width": 16, "batch_size": 32},
    "lognormal": {**_CONV_DEFAULTS, "g_width": 16, "d_width": 16, "batch_size": 32},
    # The classifier test costs ~1 min at N = 2000: evaluate only at the end.
    "calo": {**_CONV_DEFAULTS, "eval_every": 0},
    "cellgrowth": {**_CONV_DEFAULTS},
}


def _entry(value: float, floor: float, n: int, seed: int, better: str, **extra: Any) -> dict:
    return {
        "value": float(value),
        "floor": float(floor),
        "n": n,
        "seed": seed,
        "better": better,
        **extra,
    }


def temperature_labels(temps: np.ndarray) -> list[str]:
    """Shortest '%.Ng' labels (≥ 4 significant digits) that tell all temperatures apart."""
    for digits in range(4, 17):
        labels = [f"{t:.{digits}g}" for t in temps]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(float(t)) for t in temps]


def _z(diff: float, se: float) -> float:
    """diff / se; ±inf for a degenerate (zero-variance) sample that misses the target."""
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


def _split(idx: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(idx)
    return perm[:n], perm[n : 2 * n]


def _pixels(x: np.ndarray, seed: int, k: int = 200_000) -> np.ndarray:
    flat = np.asarray(x, dtype=np.float64).ravel()
    if len(flat) <= k:
        return flat
    return flat[np.random.default_rng(seed).choice(len(flat), k, replace=False)]


@DOMAINS.register("fields")
class FieldsDomain(AbstractDomain):
    """2-D fields (C, H, W) and 1-D series (C, L) with convolutional G and D."""

    name = "fields"
    sample_suffixes = (".npy", ".npz")
    best_metric = (FIDELITY, True)
    demo = DemoSpec(
        science="Physics",
        data="ising2d",
        headline="energy_T2.269",
        settings={"steps": 800, "eval_every": 0, "ckpt_every": 400, "eval_n": 500},
        options={"L": 16, "n": 1500, "temperatures": [2.269185]},
        what=(
            "2-D Ising model at the critical temperature on a 16×16 periodic lattice: the "
            "headline is the generated mean energy per spin, with Kaufman's exact finite-"
            "lattice value and z-scores in the full report."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        return dict(DEFAULTS.get(data, _CONV_DEFAULTS))

    # ------------------------------------------------------------------ data
    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        if isinstance(source, str) and source in fdata.SPECS:
            return fdata.load_builtin(source, options, seed)
        return fdata.load_user(source, options)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        return FieldEncoder()

    # ------------------------------------------------------------------ networks
    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        enc = _field_encoder(encoder)
        return ConvGenerator(
            cfg.net.z_dim,
            enc.shape_,
            cond_dim=enc.cond_dim,
            width=cfg.net.g_width,
            depth=cfg.net.g_depth,
            periodic=enc.periodic_,
            head="spin" if enc.transform_ == "spin" else "identity",
            symmetric=enc.symmetric_,
        )

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        enc = _field_encoder(encoder)
        return ConvDiscriminator(
            enc.shape_,
            cond_dim=enc.cond_dim,
            width=cfg.net.d_width,
            depth=cfg.net.d_depth,
            periodic=enc.periodic_,
            sn=cfg.net.spectral_norm,
            minibatch_std=cfg.net.minibatch_std,
            pac=cfg.net.pac,
            observables=enc.observables_,
            obs_mean=enc.obs_mean_,
            obs_std=enc.obs_std_,
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        kind = reference.info.get("kind", "user")
        x = np.asarray(reference.samples)
        if len(x) < 4:
            raise DataError(f"{reference.name}: need at least 4 reference samples to evaluate")
        if kind == "ising2d":
            return _evaluate_ising(sample, reference, n, seed)
        if kind == "calo":
            return _evaluate_calo(sample, reference, n, seed)
        m = min(n, len(x) // 2)
        idx_a, idx_b = _split(np.arange(len(x)), m, seed)
        cond = None if reference.conditions is None else np.asarray(reference.conditions)[idx_a]
        gen = np.asarray(sample(m, cond, seed))
        a, b = x[idx_a], x[idx_b]
        if kind == "cellgrowth":
            return _evaluate_series(gen, a, b, m, seed, reference.info["params"])
        if x.ndim == 3:
            return _evaluate_series(gen, a, b, m, seed, None)
        return _evaluate_maps(gen, a, b, m, seed, kind, reference.info.get("params"))

    # ------------------------------------------------------------------ output
    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        x = np.asarray(samples, dtype=np.float32)
        buf = io.BytesIO()
        if path.suffix == ".npz":
            arrays = {"x": x}
            if conditions is not None:
                arrays["cond"] = np.asarray(conditions, dtype=np.float64)
            np.savez(buf, **arrays)
        else:
            np.save(buf, x, allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        return parse_named_conditions(_field_encoder(encoder).cond_names_, values, n, "fields")

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.fields.figures import make_figures

        return make_figures(np.asarray(generated), reference)


def _field_encoder(encoder: AbstractEncoder) -> FieldEncoder:
    if not isinstance(encoder, FieldEncoder):
        raise TypeError(f"the fields domain needs a FieldEncoder, got {type(encoder).__name__}")
    return encoder


# ----------------------------------------------------------------------------- Ising


def _evaluate_ising(sample: SampleFn, reference: Dataset, n: int, seed: int) -> MetricResult:
    x = np.asarray(reference.samples)
    cond = np.asarray(reference.conditions, dtype=np.float64)[:, 0]
    L = x.shape[-1]
    temps = np.unique(cond)
    out: MetricResult = {}
    z_gen, z_floor = [], []
    for i, (T, lab) in enumerate(zip(temps, temperature_labels(temps), strict=True)):
        idx = np.flatnonzero(cond == T)
        m = min(n, len(idx) // 2)
        if m < 2:
            raise DataError(f"{reference.name}: T={T} has {len(idx)} samples; need at least 4")
        ia, ib = _split(idx, m, seed + i)
        gen = np.asarray(sample(m, np.full((m, 1), T), seed + i))
        obs = {k: fm.ising_observables(v) for k, v in (("g", gen), ("a", x[ia]), ("b", x[ib]))}
        st = {k: fm.ising_statistics(e, mm, L, T) for k, (e, mm) in obs.items()}
        exact = ising_exact(L, float(T))
        for key in ("energy", "specific_heat"):
            z = _z(st["g"][key] - exact[key], st["g"][f"{key}_se"])
            zf = _z(st["b"][key] - exact[key], st["b"][f"{key}_se"])
            out[f"{key}_T{lab}"] = _entry(
                st["g"][key],
                st["b"][key],
                m,
                seed,
                "closer to exact",
                exact=exact[key],
                z=z,
                z_floor=zf,
                reference=st["a"][key],
                description=f"exact (Kaufman) {exact[key]:.6g}; z = {z:.2f} (real sample: "
                f"{zf:.2f})",
            )
            if key == "energy":
                z_gen.append(abs(z))
                z_floor.append(abs(zf))
        for key in ("abs_m", "susceptibility", "binder"):
            out[f"{key}_T{lab}"] = _entry(
                st["g"][key], st["b"][key], m, seed, "closer to reference", reference=st["a"][key]
            )
        out[f"m_pos_T{lab}"] = _entry(
            st["g"]["m_pos"],
            st["b"]["m_pos"],
            m,
            seed,
            "closer to 0.5",
            target=0.5,
            se=0.5 / math.sqrt(m),
        )
        (eg, mg), (ea, ma), (eb, mb) = obs["g"], obs["a"], obs["b"]
        out[f"e_w1_T{lab}"] = _entry(fm.w1(eg, ea), fm.w1(eb, ea), m, seed, "lower")
        out[f"m_w1_T{lab}"] = _entry(fm.w1(mg, ma), fm.w1(mb, ma), m, seed, "lower")
        gg, ga, gb = fm.two_point(gen), fm.two_point(x[ia]), fm.two_point(x[ib])
        out[f"corr_maxdev_T{lab}"] = _entry(
            np.abs(gg - ga).max(),
            np.abs(gb - ga).max(),
            m,
            seed,
            "lower",
            g_r=gg.tolist(),
            g_r_reference=ga.tolist(),
        )
    out[FIDELITY] = _entry(
        max(z_gen),
        max(z_floor),
        min(n, len(x)),
        seed,
        "lower",
        description="max over T of |z| of the mean energy vs Kaufman's exact value",
    )
    return out


# ----------------------------------------------------------------------------- maps


def _evaluate_maps(
    gen: np.ndarray, a: np.ndarray, b: np.ndarray, n: int, seed: int, kind: str, params: Any
) -> MetricResult:
    out: MetricResult = {}
    square = gen.shape[-1] == gen.shape[-2]
    pix_a = _pixels(a, seed)
    out["pixel_w1"] = _entry(
        fm.w1(_pixels(gen, seed + 1), pix_a), fm.w1(_pixels(b, seed + 2), pix_a), n, seed, "lower"
    )
    if not square or gen.shape[1] != 1:
        out["channel_mean_maxdev"] = _entry(
            np.abs(gen.mean(axis=(0, 2, 3)) - a.mean(axis=(0, 2, 3))).max(),
            np.abs(b.mean(axis=(0, 2, 3)) - a.mean(axis=(0, 2, 3))).max(),
            n,
            seed,
            "lower",
        )
        out[FIDELITY] = {**out["pixel_w1"], "description": "pixel_w1"}
        return out
    k, pg, modes = fm.radial_power_spectrum(gen)
    _, pa, _ = fm.radial_power_spectrum(a)
    _, pb, _ = fm.radial_power_spectrum(b)
    ratio, ratio_floor = pg / pa, pb / pa
    scatter = fm.spectrum_ratio_scatter(n, modes)
    dev = np.abs(ratio - 1)
    out["pk_ratio_maxdev"] = _entry(
        dev.max(),
        np.abs(ratio_floor - 1).max(),
        n,
        seed,
        "lower",
        target="< 0.05 in every k bin",
        bins_within_5pct=int((dev < 0.05).sum()),
        bins=len(dev),
        k=k.tolist(),
        ratio=ratio.tolist(),
        ratio_floor=ratio_floor.tolist(),
        expected_scatter=scatter.tolist(),
    )
    # Minkowski functionals at fixed thresholds: ν σ for the unit-variance grf (analytic
    # formulas apply), reference quantiles Φ(ν) otherwise.
    if kind == "grf":
        thresholds = MF_NU.copy()
    else:
        from scipy.stats import norm

        thresholds = np.quantile(_pixels(a, seed), norm.cdf(MF_NU))
    mf = {
        key: fm.minkowski_functionals(v, thresholds) for key, v in (("g", gen), ("a", a), ("b", b))
    }
    analytic = None
    if kind == "grf":
        size = gen.shape[-1]
        lam = fm.finite_difference_lambda(power_law_spectrum(size, params["index"]))
        analytic = gaussian_minkowski(MF_NU, lam)
    for name in ("area", "length", "euler"):
        ref = mf["a"][name]
        scale = max(np.abs(ref).max(), 1e-12)
        extra: dict[str, Any] = {
            "thresholds_nu": MF_NU.tolist(),
            "generated": mf["g"][name].tolist(),
            "reference": ref.tolist(),
            "description": "max over thresholds of |MF − MF_ref| / max|MF_ref|",
        }
        if analytic is not None:
            extra["analytic"] = analytic[name].tolist()
            extra["analytic_dev_generated"] = float(
                np.abs(mf["g"][name] - analytic[name]).max()
                / max(np.abs(analytic[name]).max(), 1e-12)
            )
            extra["analytic_dev_reference"] = float(
                np.abs(ref - analytic[name]).max() / max(np.abs(analytic[name]).max(), 1e-12)
            )
        out[f"mf_{name}_maxdev"] = _entry(
            np.abs(mf["g"][name] - ref).max() / scale,
            np.abs(mf["b"][name] - ref).max() / scale,
            n,
            seed,
            "lower",
            **extra,
        )
    peaks = {key: fm.peak_heights(v) for key, v in (("g", gen), ("a", a), ("b", b))}
    u1 = float(np.quantile(pix_a, 0.8413))  # the +1σ level (a quantile for non-Gaussian maps)
    counts = {key: float((p > u1).sum()) / n for key, p in peaks.items()}
    out["peak_count"] = _entry(
        counts["g"],
        counts["b"],
        n,
        seed,
        "closer to reference",
        reference=counts["a"],
        description="local maxima above the reference's 84th-percentile (+1σ) level per map",
    )
    out["peak_height_w1"] = _entry(
        fm.w1(peaks["g"], peaks["a"]), fm.w1(peaks["b"], peaks["a"]), n, seed, "lower"
    )
    # Checkpoint selection needs a symmetric score: max |ratio − 1| is at most 1 for a
    # generator with too little power (a collapsed one scores 1) but unbounded for too much.
    with np.errstate(divide="ignore"):
        log_dev, log_floor = np.abs(np.log(ratio)).max(), np.abs(np.log(ratio_floor)).max()
    out[FIDELITY] = _entry(
        log_dev, log_floor, n, seed, "lower", description="max over k bins of |ln P_gen/P_ref|"
    )
    return out


# ----------------------------------------------------------------------------- series


def _evaluate_series(
    gen: np.ndarray, a: np.ndarray, b: np.ndarray, n: int, seed: int, params: Any
) -> MetricResult:
    out: MetricResult = {}
    max_lag = min(16, gen.shape[-1] // 2)
    st = {k: fm.series_statistics(v, max_lag) for k, v in (("g", gen), ("a", a), ("b", b))}
    exact = None
    if params is not None:
        lags = np.arange(max_lag + 1) * params["dt"]
        exact = telegraph_moments(
            params["k_on"], params["k_off"], params["k_m"], params["gamma"], lags
        )
    for key in ("mean", "variance", "fano"):
        extra: dict[str, Any] = {"reference": st["a"][key]}
        better = "closer to reference"
        if exact is not None:
            extra["exact"] = float(exact[key])
            extra["rel_err"] = (st["g"][key] - exact[key]) / exact[key]
            extra["rel_err_floor"] = (st["b"][key] - exact[key]) / exact[key]
            better = "closer to exact"
        out[key] = _entry(st["g"][key], st["b"][key], n, seed, better, **extra)
    target = exact["autocorr"] if exact is not None else st["a"]["autocorr"]
    out["autocorr_maxdev"] = _entry(
        np.abs(st["g"]["autocorr"] - target).max(),
        np.abs(st["b"]["autocorr"] - target).max(),
        n,
        seed,
        "lower",
        lags=list(range(max_lag + 1)),
        generated=st["g"]["autocorr"].tolist(),
        target=np.asarray(target).tolist(),
        description="max over lags of |ρ(l) − ρ_exact(l)|" if exact is not None else "vs reference",
    )
    pa = _pixels(a, seed)
    out["value_w1"] = _entry(
        fm.w1(_pixels(gen, seed + 1), pa), fm.w1(_pixels(b, seed + 2), pa), n, seed, "lower"
    )
    if exact is not None:
        worst = lambda s: max(  # noqa: E731
            abs(s["mean"] / exact["mean"] - 1),
            abs(s["fano"] / exact["fano"] - 1),
            float(np.abs(s["autocorr"] - exact["autocorr"]).max()),
        )
        out[FIDELITY] = _entry(
            worst(st["g"]),
            worst(st["b"]),
            n,
            seed,
            "lower",
            description="max of |mean/exact − 1|, |Fano/exact − 1|, max |ρ − ρ_exact|",
        )
    else:
        out[FIDELITY] = {**out["autocorr_maxdev"], "description": "autocorr_maxdev"}
    return out


# ----------------------------------------------------------------------------- calorimeter


def _calo_lowlevel(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Classifier input: log(1 + voxel / 1 MeV) flattened, plus log E_inc."""
    return np.concatenate([np.log1p(x.reshape(len(x), -1)), np.log(e).reshape(-1, 1)], axis=1)


def _evaluate_calo(sample: SampleFn, reference: Dataset, n: int, seed: int) -> MetricResult:
    x = np.asarray(reference.samples, dtype=np.float64)
    e = np.asarray(reference.conditions, dtype=np.float64)[:, 0]
    m = min(n, len(x) // 2)
    ia, ib = _split(np.arange(len(x)), m, seed)
    gen = np.asarray(sample(m, e[ia, None], seed), dtype=np.float64)
    a, b = x[ia], x[ib]
    f = {
        "g": fm.calo_features(gen, e[ia], CALO_R_EDGES),
        "a": fm.calo_features(a, e[ia], CALO_R_EDGES),
        "b": fm.calo_features(b, e[ib], CALO_R_EDGES),
    }
    out: MetricResult = {}
    out["sep_e_ratio"] = _entry(
        fm.separation_power(f["g"]["e_ratio"], f["a"]["e_ratio"], f["a"]["e_ratio"]),
        fm.separation_power(f["b"]["e_ratio"], f["a"]["e_ratio"], f["a"]["e_ratio"]),
        m,
        seed,
        "lower",
        description="separation power of E_dep/E_inc",
    )
    active = (f["a"]["layer_energy"] > 0).mean(axis=0) > 0.1  # layers hit in > 10 % of showers
    sps = []
    for name in ("layer_energy", "center_x", "center_y", "width_x", "width_y", "sparsity"):
        tr = (lambda v: np.log10(v + 1e-3)) if name == "layer_energy" else (lambda v: v)
        vals = {
            k: [
                fm.separation_power(
                    tr(f[k][name][:, j]), tr(f["a"][name][:, j]), tr(f["a"][name][:, j])
                )
                for j in np.flatnonzero(active)
            ]
            for k in ("g", "b")
        }
        sps.append((np.mean(vals["g"]), np.mean(vals["b"])))
        out[f"sep_{name}"] = _entry(
            np.mean(vals["g"]),
            np.mean(vals["b"]),
            m,
            seed,
            "lower",
            description=f"separation power of {name} averaged over {int(active.sum())} layers",
        )
    prof = {k: v.mean(axis=0) for k, v in (("g", gen), ("a", a), ("b", b))}
    for name, axes in (("longitudinal", (1, 2)), ("radial", (0, 1))):
        pg, pa, pb = (prof[k].sum(axis=axes) for k in ("g", "a", "b"))
        scale = pa.max()
        out[f"{name}_profile_maxdev"] = _entry(
            np.abs(pg - pa).max() / scale,
            np.abs(pb - pa).max() / scale,
            m,
            seed,
            "lower",
            generated=pg.tolist(),
            reference=pa.tolist(),
            description=f"max |mean {name} profile − reference| / reference peak",
        )
    k = min(m, CALO_CLASSIFIER_MAX_N)
    lo_a = _calo_lowlevel(a[:k], e[ia][:k])
    out["classifier_auc"] = _entry(
        fm.mlp_classifier_auc(lo_a, _calo_lowlevel(gen[:k], e[ia][:k]), seed=seed),
        fm.mlp_classifier_auc(lo_a, _calo_lowlevel(b[:k], e[ib][:k]), seed=seed),
        k,
        seed,
        "closer to 0.5",
        target="<= 0.75 (CaloChallenge GANs 0.89-0.94)",
        description="MLP on log(1 + voxel/MeV) and log E_inc, 60/20/20 split, test AUC",
    )
    out[FIDELITY] = _entry(
        float(np.mean([out["sep_e_ratio"]["value"], *(g for g, _ in sps)])),
        float(np.mean([out["sep_e_ratio"]["floor"], *(b for _, b in sps)])),
        m,
        seed,
        "lower",
        description="mean separation power over the high-level features",
    )
    return out


# ----------------------------------------------------------------------------- registration

for _spec in fdata.SPECS.values():
    _sizes = {
        "ising2d": "3 T × 3,000 × 32² (options n, L, temperatures)",
        "grf": "5,000 × 64² (options n, size, index)",
        "lognormal": "5,000 × 64² (options n, size, index, sigma)",
        "calo": "5,000 × 45×16×9 (options n, e_min, e_max)",
        "cellgrowth": "5,000 × 1 × 64 (options n, length, dt, rates)",
    }
    register_dataset(
        DatasetInfo(
            _spec.name,
            "fields",
            _sizes[_spec.name],
            "generated in-process (cached)",
            "n/a (synthetic)",
            _spec.description,
        )
    )
