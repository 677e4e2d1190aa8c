"""The MOSES metric suite (Polykovskiy et al. 2020), implemented here: features → stats → score.

Definitions follow ``moses/metrics/{metrics,utils}.py`` of ``molsets==0.3.1`` line by line
(that code is read, never imported), with two deliberate fixes of measured bugs on numpy 2:

- Frag/Scaf cosine similarity uses float64 count vectors (moses' integer vectors overflow and
  read 1.0 at 30k samples);
- novelty compares with the train set canonicalised by the *installed* RDKit.

Metrics (MOSES names):

- ``valid``: fraction of SMILES that parse and sanitise (empty = invalid); every other metric
  uses the valid molecules, canonicalised;
- ``unique@k``: distinct canonical SMILES among the first k valid molecules / k;
- ``FCD/<ref>``: Fréchet distance of ChemNet penultimate activations (Preuer et al. 2018; weights
  from ``fcd_torch``, MIT); the generated set is embedded once for both references;
- ``SNN/<ref>``: mean over generated molecules of the max Tanimoto (Morgan r=2, 1024 bits) to the
  reference;
- ``Frag/<ref>``, ``Scaf/<ref>``: cosine similarity of BRICS-fragment and Bemis–Murcko scaffold
  (≥ 2 rings) counts;
- ``IntDiv``, ``IntDiv2``: 1 − mean_j (mean_i T_ij^p)^{1/p} over all pairs (self-pairs included);
- ``Filters``: fraction passing MCF + PAINS (moses' SMARTS lists), no charges, no rings ≥ 8,
  atoms in {C, N, S, O, F, Cl, Br, H};
- ``logP``, ``SA``, ``QED``, ``weight``: 1-D Wasserstein distance of the property values;
- ``Novelty``: fraction of unique valid molecules not in the training set.

Extra (not MOSES): ``alerts/PAINS``, ``alerts/BRENK``, ``alerts/NIH`` — fraction of valid
molecules with at least one structural alert in RDKit's FilterCatalog (a toxicity-liability
screen, not a toxicity measurement).
"""

from __future__ import annotations

import functools
import io
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import wasserstein_distance

from scigan.domains.molecules import chem
from scigan.domains.molecules.data import cache_dir, package_bytes
from scigan.errors import MissingDependencyError

VALID = "valid"
NOVELTY = "Novelty"
INTDIV, INTDIV2 = "IntDiv", "IntDiv2"
FILTERS = "Filters"
PROPERTY_METRICS = ("logP", "SA", "QED", "weight")
ALERT_CATALOGS = ("PAINS", "BRENK", "NIH")
LOWER_IS_BETTER = {"FCD", "logP", "SA", "QED", "weight"}


def unique_key(k: int) -> str:
    return f"unique@{k}"


def lower_is_better(name: str) -> bool:
    return name.split("/")[0] in LOWER_IS_BETTER or name.startswith("alerts/")


def _one_blas_thread(fn):
    """Run with one BLAS thread: on a shared 2-core machine OpenBLAS' worker threads spin-wait
    and make 512×512 eigendecompositions tens of times slower (measured)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------- features
@dataclass
class Molecules:
    """Parsed valid molecules of a SMILES list, with lazily computed features."""

    smiles: list[str]  # canonical, valid only
    mols: list[Any]
    n_input: int
    _fps: np.ndarray | None = field(default=None, repr=False)
    _chemnet: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_smiles(cls, smiles: Sequence[str]) -> Molecules:
        canon, mols = [], []
        with chem.quiet_rdkit():
            for s in smiles:
                mol = chem.get_mol(s)
                if mol is None:
                    continue
                # MOSES canonicalises and re-parses (remove_invalid + get_mol)
                c = chem.to_smiles(mol)
                mol2 = chem.get_mol(c)
                if mol2 is None:
                    continue
                canon.append(c)
                mols.append(mol2)
        return cls(canon, mols, len(smiles))

    @property
    def fps(self) -> np.ndarray:
        if self._fps is None:
            self._fps = chem.fingerprints(self.mols)
        return self._fps

    @property
    def chemnet(self) -> np.ndarray:
        if self._chemnet is None:
            self._chemnet = chemnet_activations(self.smiles)
        return self._chemnet


@functools.cache
def _chemnet_model() -> torch.nn.Module:
    try:
        from fcd_torch.utils import load_imported_model
    except ImportError:  # pragma: no cover
        raise MissingDependencyError("FCD needs fcd_torch: pip install 'scigan[chem]'") from None
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("fcd_torch")
    path = Path(next(iter(spec.submodule_search_locations))) / "ChemNet_v0.13_pretrained.pt"
    model = load_imported_model(torch.load(path, weights_only=True))  # tensors + plain config
    return model.eval()


def chemnet_activations(smiles: Sequence[str], batch: int = 512) -> np.ndarray:
    """ChemNet penultimate activations ``(N, 512)`` exactly as ``fcd_torch`` computes them."""
    from fcd_torch.utils import get_one_hot

    model = _chemnet_model()
    out = []
    with torch.no_grad():
        for i in range(0, len(smiles), batch):
            x = np.stack([get_one_hot(s, 350) for s in smiles[i : i + batch]]) / 35.0
            xt = torch.from_numpy(x).float().transpose(1, 2)  # (B, 35, 350)
            out.append(model(xt).numpy())
    return np.concatenate(out) if out else np.zeros((0, 512))


def fragments(mols: Iterable[Any]) -> Counter:
    """BRICS fragment SMILES counts (moses ``compute_fragments``)."""
    Chem = chem.require_rdkit()
    from rdkit.Chem import AllChem

    counts: Counter = Counter()
    for mol in mols:
        counts.update(Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split("."))
    return counts


def scaffolds(mols: Iterable[Any], min_rings: int = 2) -> Counter:
    """Bemis–Murcko scaffold counts, scaffolds with ≥ ``min_rings`` rings (moses)."""
    Chem = chem.require_rdkit()
    from rdkit.Chem.Scaffolds import MurckoScaffold

    counts: Counter = Counter()
    for mol in mols:
        try:
            scaf = MurckoScaffold.GetScaffoldForMol(mol)
        except (ValueError, RuntimeError):
            continue
        smi = Chem.MolToSmiles(scaf)
        if smi and scaf.GetRingInfo().NumRings() >= min_rings:
            counts[smi] += 1
    return counts


@functools.cache
def _filter_patterns() -> tuple[Any, ...]:
    Chem = chem.require_rdkit()
    mcf = pd.read_csv(io.BytesIO(package_bytes("moses", "molsets", "metrics/mcf.csv")))
    pains = pd.read_csv(
        io.BytesIO(package_bytes("moses", "molsets", "metrics/wehi_pains.csv")),
        names=["smarts", "names"],
    )
    smarts = [*mcf["smarts"].astype(str), *pains["smarts"].astype(str)]
    return tuple(Chem.MolFromSmarts(s.strip()) for s in smarts)


_ALLOWED = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})


def passes_filters(mol: Any) -> bool:
    """moses ``mol_passes_filters``: no ring ≥ 8, no charge, allowed atoms, no MCF/PAINS hit."""
    Chem = chem.require_rdkit()
    ring_info = mol.GetRingInfo()
    if ring_info.NumRings() != 0 and any(len(r) >= 8 for r in ring_info.AtomRings()):
        return False
    if any(a.GetFormalCharge() != 0 for a in mol.GetAtoms()):
        return False
    if any(a.GetSymbol() not in _ALLOWED for a in mol.GetAtoms()):
        return False
    h_mol = Chem.AddHs(mol)
    if any(h_mol.HasSubstructMatch(p) for p in _filter_patterns()):
        return False
    smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smiles) and Chem.MolFromSmiles(smiles) is not None


@functools.cache
def _alert_catalog(name: str) -> Any:
    chem.require_rdkit()
    from rdkit.Chem import FilterCatalog

    params = FilterCatalog.FilterCatalogParams()
    params.AddCatalog(getattr(FilterCatalog.FilterCatalogParams.FilterCatalogs, name))
    return FilterCatalog.FilterCatalog(params)


def alert_flags(mols: Sequence[Any], catalog: str) -> np.ndarray:
    """Boolean (N,): the molecule matches at least one alert of an RDKit FilterCatalog."""
    cat = _alert_catalog(catalog)
    return np.array([cat.HasMatch(m) for m in mols], dtype=bool)


def alert_names(mol: Any) -> list[str]:
    """Descriptions of every PAINS/BRENK/NIH alert a molecule matches (for reports)."""
    out = []
    for name in ALERT_CATALOGS:
        out += [f"{name}: {e.GetDescription()}" for e in _alert_catalog(name).GetMatches(mol)]
    return out


# ---------------------------------------------------------------------------- statistics
@dataclass
class ReferenceStats:
    """What generated sets are compared with (MOSES ``compute_intermediate_statistics``)."""

    mu: np.ndarray
    sigma: np.ndarray
    fps: np.ndarray
    frag: Counter
    scaf: Counter
    props: dict[str, np.ndarray]

    @classmethod
    @_one_blas_thread
    def from_molecules(cls, m: Molecules) -> ReferenceStats:
        act = m.chemnet
        return cls(
            mu=act.mean(0),
            sigma=np.cov(act.T),
            fps=m.fps,
            frag=fragments(m.mols),
            scaf=scaffolds(m.mols),
            props=chem.properties(m.mols),
        )

    @classmethod
    def from_moses(cls, split: str) -> ReferenceStats:
        """MOSES' stored statistics (``test_stats.npz`` / ``test_scaffolds_stats.npz``)."""
        from scigan.domains.molecules.data import moses_stats

        s = moses_stats(split)
        return cls(
            mu=np.asarray(s["FCD"]["mu"], dtype=np.float64),
            sigma=np.asarray(s["FCD"]["sigma"], dtype=np.float64),
            fps=np.asarray(s["SNN"]["fps"], dtype=np.uint8),
            frag=Counter(s["Frag"]["frag"]),
            scaf=Counter(s["Scaf"]["scaf"]),
            props={k: np.asarray(s[k]["values"], dtype=np.float64) for k in PROPERTY_METRICS},
        )

    def save(self, stem: str) -> None:
        """Cache as .npz (arrays) + .json (counters): nothing pickled."""
        d = cache_dir()
        np.savez_compressed(
            d / f"{stem}.npz", mu=self.mu, sigma=self.sigma, fps=self.fps,
            **{f"prop_{k}": v for k, v in self.props.items()},
        )  # fmt: skip
        (d / f"{stem}.json").write_text(json.dumps({"frag": self.frag, "scaf": self.scaf}))

    @classmethod
    def load(cls, stem: str) -> ReferenceStats | None:
        d = cache_dir()
        if not (d / f"{stem}.npz").exists() or not (d / f"{stem}.json").exists():
            return None
        with np.load(d / f"{stem}.npz") as z:
            arrays = {k: z[k] for k in z.files}
        counts = json.loads((d / f"{stem}.json").read_text())
        props = {k[5:]: v for k, v in arrays.items() if k.startswith("prop_")}
        return cls(
            arrays["mu"], arrays["sigma"], arrays["fps"], Counter(counts["frag"]),
            Counter(counts["scaf"]), props,
        )  # fmt: skip


@functools.cache
def moses_reference(split: str) -> ReferenceStats:
    return ReferenceStats.from_moses(split)


# ---------------------------------------------------------------------------- scores
def tanimoto_agg(ref: np.ndarray, gen: np.ndarray, *, agg: str, p: int = 1) -> np.ndarray:
    """Per generated molecule: max or (mean T^p)^{1/p} of Tanimoto to ``ref`` — (M,) float64.

    Float32 products of 0/1 vectors are exact (counts ≤ 1024 ≪ 2^24); the Tanimoto of two
    empty fingerprints is 1, as in moses. Blocks of 4096 × 4096, in place (memory bound).
    """
    out = np.zeros(len(gen))
    r_all = torch.from_numpy(np.ascontiguousarray(ref, dtype=np.float32))
    g_all = torch.from_numpy(np.ascontiguousarray(gen, dtype=np.float32))
    r_sum, g_sum = r_all.sum(1), g_all.sum(1)
    block = 4096
    for i in range(0, len(g_all), block):
        g, gs = g_all[i : i + block], g_sum[i : i + block]
        acc = torch.zeros(len(g), dtype=torch.float64)
        for j in range(0, len(r_all), block):
            tp = r_all[j : j + block] @ g.T  # (R, G) common bits
            denom = r_sum[j : j + block, None] + gs[None, :]
            denom.sub_(tp)
            empty = denom == 0
            tp.div_(denom.clamp_(min=1.0))
            if empty.any():
                tp[empty] = 1.0
            if p != 1:
                tp.pow_(p)
            if agg == "max":
                acc = torch.maximum(acc, tp.amax(0).double())
            else:
                acc += tp.sum(0, dtype=torch.float64)
        out[i : i + len(g)] = acc.numpy()
    if agg == "mean":
        out /= len(ref)
        if p != 1:
            out = out ** (1.0 / p)
    return out


def internal_diversity(fps: np.ndarray, p: int = 1) -> float:
    return float(1.0 - tanimoto_agg(fps, fps, agg="mean", p=p).mean())


def snn(ref_fps: np.ndarray, gen_fps: np.ndarray) -> float:
    return float(tanimoto_agg(ref_fps, gen_fps, agg="max").mean())


def cos_similarity(ref: Counter, gen: Counter) -> float:
    """Cosine of float64 count vectors over the union of keys (NaN if either is empty)."""
    if not ref or not gen:
        return float("nan")
    keys = sorted(set(ref) | set(gen))
    a = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    b = np.array([gen.get(k, 0) for k in keys], dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@_one_blas_thread
def frechet_psd(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||μ1 − μ2||² + Tr(S1 + S2 − 2 (S1 S2)^{1/2}) for symmetric PSD covariances.

    Tr (S1 S2)^{1/2} = Σ √λ_i(A S2 A) with A = S1^{1/2} (similar matrices), computed with two
    symmetric eigendecompositions: the same value as scipy's sqrtm (used by fcd_torch), but
    ~50× faster on the rank-deficient covariances of small samples, where sqrtm crawls.
    """
    w, v = np.linalg.eigh(s1)
    a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T  # S1^{1/2}
    lam = np.linalg.eigvalsh(a @ s2 @ a)
    diff = mu1 - mu2
    tr = np.trace(s1) + np.trace(s2) - 2.0 * np.sqrt(np.clip(lam, 0, None)).sum()
    return float(max(diff @ diff + tr, 0.0))


@_one_blas_thread
def fcd(ref: ReferenceStats, act: np.ndarray) -> float:
    if len(act) < 2:
        return float("nan")
    return frechet_psd(ref.mu, ref.sigma, act.mean(0), np.cov(act.T))


def fraction_unique(smiles: Sequence[str], k: int) -> float:
    sub = list(smiles[:k])
    return len(set(sub)) / len(sub) if sub else float("nan")


def novelty(smiles: Sequence[str], train: set[str] | frozenset[str]) -> float:
    uniq = set(smiles)
    return len(uniq - train) / len(uniq) if uniq else float("nan")


@_one_blas_thread
def moses_metrics(
    generated: Sequence[str] | Molecules,
    references: dict[str, ReferenceStats],
    *,
    train: set[str] | None = None,
    ks: Sequence[int] = (1000, 10000),
    alerts: bool = True,
    timings: dict[str, float] | None = None,
) -> dict[str, float]:
    """Every MOSES metric of ``generated`` against ``references`` (``{"Test": stats, ...}``)."""
    clock = _Clock(timings)
    m = generated if isinstance(generated, Molecules) else Molecules.from_smiles(generated)
    clock("parse")
    out: dict[str, float] = {VALID: len(m.smiles) / m.n_input if m.n_input else float("nan")}
    for k in ks:
        out[unique_key(k)] = fraction_unique(m.smiles, k)
    if len(m.smiles) < 2:
        return out
    if references:
        act = m.chemnet
        clock("chemnet")
        gen_frag, gen_scaf = fragments(m.mols), scaffolds(m.mols)
    fps = m.fps
    clock("fingerprints/fragments/scaffolds")
    for name, ref in references.items():
        out[f"FCD/{name}"] = fcd(ref, act)
        out[f"SNN/{name}"] = snn(ref.fps, fps)
        out[f"Frag/{name}"] = cos_similarity(ref.frag, gen_frag)
        out[f"Scaf/{name}"] = cos_similarity(ref.scaf, gen_scaf)
    clock("reference comparisons (SNN)")
    out[INTDIV] = internal_diversity(fps, 1)
    out[INTDIV2] = internal_diversity(fps, 2)
    clock("IntDiv")
    out[FILTERS] = float(np.mean([passes_filters(mol) for mol in m.mols]))
    clock("filters")
    if references:
        props = chem.properties(m.mols)
        ref0 = next(iter(references.values()))
        for name in PROPERTY_METRICS:
            out[name] = float(wasserstein_distance(ref0.props[name], props[name]))
        clock("properties")
    if train is not None:
        out[NOVELTY] = novelty(m.smiles, train)
    if alerts:
        for cat in ALERT_CATALOGS:
            out[f"alerts/{cat}"] = float(alert_flags(m.mols, cat).mean())
        clock("alerts")
    return out


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.t, self.timings = time.perf_counter(), timings

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.t
        self.t = now
