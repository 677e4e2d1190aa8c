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

Speed (values unchanged; ``tests/unit/test_molecules_fast_metrics.py`` compares with the previous
dense implementation): Tanimoto counts from bfloat16 GEMMs on 0/1 fingerprints (exact while no
fingerprint has > 256 bits; float32 otherwise), SNN via popcount groups (max count per group,
then one division per group), IntDiv/IntDiv2 in one pass over the upper block triangle, a
pattern-fingerprint screen before the 502 filter SMARTS, and the per-molecule work (RDKit and
ChemNet) in ``workers`` processes (each molecule parsed once). Reference statistics: MOSES'
stored ones, or cached.

Extra (not MOSES): ``alerts/PAINS``, ``alerts/BRENK``, ``alerts/NIH`` — fraction of valid
molecules with at least one structural alert in RDKit's FilterCatalog (a toxicity-liability
screen, not a toxicity measurement).

The domain's evaluation, :func:`evaluate_molecules`, ends this file: every metric of ``n``
generated molecules with its floor, the same metric of ``n`` real training molecules.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import wasserstein_distance

from scigan.domains.base import MetricResult, SampleFn
from scigan.domains.molecules import chem
from scigan.domains.molecules.data import (
    TEST,
    MoleculeDataset,
    cache_dir,
    novelty_set,
    package_bytes,
)
from scigan.errors import DataError, MissingDependencyError
from scigan.metrics.floor import metric_entry
from scigan.metrics.frechet import frechet_distance

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

        with threadpool_limits(limits=1, user_api="blas"):  # numpy's; not torch's OpenMP
            return fn(*args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------- features
# What the per-molecule pass can compute (in worker processes when ``workers`` > 1).
FEATURES = ("fingerprints", "chemnet", "fragments", "scaffolds", "filters", "properties", "alerts")


@dataclass
class Molecules:
    """Valid molecules of a SMILES list, canonicalised, with lazily computed features.

    ``Molecules.from_smiles(smiles, workers=2, features=FEATURES)`` computes the features in
    ``workers`` processes (one torch thread each), each molecule parsed once; the other
    accessors compute on first use in this process. The values do not depend on ``workers``.
    """

    smiles: list[str]  # canonical, valid only
    n_input: int
    _mols: list[Any] | None = field(default=None, repr=False)
    _fps: np.ndarray | None = field(default=None, repr=False)
    _chemnet: np.ndarray | None = field(default=None, repr=False)
    _frag: Counter | None = field(default=None, repr=False)
    _scaf: Counter | None = field(default=None, repr=False)
    _filters: np.ndarray | None = field(default=None, repr=False)
    _props: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _alerts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_smiles(
        cls,
        smiles: Sequence[str],
        *,
        workers: int = 1,
        features: Sequence[str] = (),
        timings: dict[str, float] | None = None,
    ) -> Molecules:
        """Parse, sanitise and canonicalise (MOSES ``remove_invalid`` + ``get_mol``).

        Args:
            workers: processes for the RDKit work; 1 = this process, lazily.
            features: names from :data:`FEATURES` to compute in the same pass when
                ``workers`` > 1 (ignored otherwise: accessors compute them on first use).
            timings: if given, receives per-stage seconds (summed over workers, so CPU
                seconds when ``workers`` > 1).
        """
        smiles = list(smiles)
        if workers <= 1 or len(smiles) < 2 * _CHUNK:
            t0 = time.perf_counter()
            canon, mols = _parse(smiles)
            if timings is not None:
                timings["parse"] = timings.get("parse", 0.0) + time.perf_counter() - t0
            return cls(canon, len(smiles), _mols=mols)
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown features {sorted(unknown)}; choose from {FEATURES}")
        import multiprocessing as mp

        chunks = [(smiles[i : i + _CHUNK], tuple(features)) for i in range(0, len(smiles), _CHUNK)]
        # fork where there is one: the workers run RDKit and numpy only (never torch's OpenMP,
        # which is unsafe after fork), and fork needs no `if __name__ == "__main__"` guard
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        # a process pool that reports a worker that died (multiprocessing.Pool would wait for
        # it forever); the chunks are then computed here, with the same results (tested)
        try:
            with ProcessPoolExecutor(workers, mp_context=mp.get_context(method)) as pool:
                parts = list(pool.map(_featurize_chunk, chunks))
        except BrokenProcessPool as exc:
            warnings.warn(
                f"a metric worker process died ({exc}); computing the features in this process",
                RuntimeWarning,
                stacklevel=2,
            )
            threads = torch.get_num_threads()  # the chunk task sets one thread for ChemNet
            try:
                parts = [_featurize_chunk(c) for c in chunks]
            finally:
                torch.set_num_threads(threads)
        m = cls([s for p in parts for s in p["smiles"]], len(smiles))
        if "fingerprints" in features:
            m._fps = np.concatenate([p["fingerprints"] for p in parts])
        if "chemnet" in features:
            m._chemnet = np.concatenate([p["chemnet"] for p in parts])
        if "fragments" in features:
            m._frag = sum((p["fragments"] for p in parts), Counter())
        if "scaffolds" in features:
            m._scaf = sum((p["scaffolds"] for p in parts), Counter())
        if "filters" in features:
            m._filters = np.concatenate([p["filters"] for p in parts])
        if "properties" in features:
            m._props = {
                k: np.concatenate([p["properties"][k] for p in parts]) for k in PROPERTY_METRICS
            }
        if "alerts" in features:
            m._alerts = {c: np.concatenate([p["alerts"][c] for p in parts]) for c in ALERT_CATALOGS}
        if timings is not None:
            for p in parts:
                for k, v in p["seconds"].items():
                    timings[k] = timings.get(k, 0.0) + v
        return m

    @property
    def mols(self) -> list[Any]:
        if self._mols is None:  # re-parse the canonical SMILES, as MOSES does
            with chem.quiet_rdkit():
                self._mols = [chem.get_mol(s) for s in self.smiles]
        return self._mols

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

    @property
    def frag(self) -> Counter:
        if self._frag is None:
            self._frag = fragments(self.mols)
        return self._frag

    @property
    def scaf(self) -> Counter:
        if self._scaf is None:
            self._scaf = scaffolds(self.mols)
        return self._scaf

    @property
    def filters(self) -> np.ndarray:
        """Boolean (N,): passes MOSES' filters."""
        if self._filters is None:
            self._filters = np.array([passes_filters(m) for m in self.mols], dtype=bool)
        return self._filters

    @property
    def props(self) -> dict[str, np.ndarray]:
        """``{logP, SA, QED, weight: (N,) float64}``."""
        if self._props is None:
            self._props = chem.properties(self.mols, PROPERTY_METRICS)
        return self._props

    def alerts(self, catalog: str) -> np.ndarray:
        """Boolean (N,): matches an alert of RDKit's FilterCatalog ``catalog``."""
        if catalog not in self._alerts:
            self._alerts[catalog] = alert_flags(self.mols, catalog)
        return self._alerts[catalog]


_CHUNK = 500  # molecules per pool task: small enough to balance two workers


def _parse(smiles: Sequence[str]) -> tuple[list[str], list[Any]]:
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
    return canon, mols


def _featurize_chunk(task: tuple[list[str], tuple[str, ...]]) -> dict[str, Any]:
    """Pool task: parse a chunk once and compute the requested RDKit features, timed."""
    smiles, features = task
    seconds: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        seconds[name] = now - t
        t = now

    m = Molecules.from_smiles(smiles)
    lap("parse")
    out: dict[str, Any] = {"smiles": m.smiles, "seconds": seconds}
    if "fingerprints" in features:
        out["fingerprints"] = m.fps
        lap("fingerprints")
    if "chemnet" in features:
        # one thread per worker, as torch's DataLoader workers do after fork; the activations
        # do not depend on the batch composition (tested)
        torch.set_num_threads(1)
        out["chemnet"] = m.chemnet
        lap("chemnet")
    for name, attr in (
        ("fragments", "frag"),
        ("scaffolds", "scaf"),
        ("filters", "filters"),
        ("properties", "props"),
    ):
        if name in features:
            out[name] = getattr(m, attr)
            lap(name)
    if "alerts" in features:
        out["alerts"] = {c: m.alerts(c) for c in ALERT_CATALOGS}
        lap("alerts")
    return out


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
def filter_alerts() -> tuple[tuple[str, str, Any, Any], ...]:
    """(set, name, SMARTS query, its pattern fingerprint) for each of MOSES' MCF and PAINS
    alerts, read from molsets' own ``mcf.csv`` and ``wehi_pains.csv``."""
    Chem = chem.require_rdkit()
    mcf = pd.read_csv(io.BytesIO(package_bytes("moses", "molsets", "metrics/mcf.csv")))
    pains = pd.read_csv(
        io.BytesIO(package_bytes("moses", "molsets", "metrics/wehi_pains.csv")),
        names=["smarts", "names"],
    )
    rows = [("MCF", str(n), str(s)) for n, s in zip(mcf["names"], mcf["smarts"], strict=True)]
    rows += [
        ("PAINS", str(n).strip().removeprefix("<regId=").removesuffix(">"), str(s))
        for n, s in zip(pains["names"], pains["smarts"], strict=True)
    ]
    out = []
    for group, name, smarts in rows:
        query = Chem.MolFromSmarts(smarts.strip())
        out.append((group, name, query, Chem.PatternFingerprint(query)))
    return tuple(out)


_ALLOWED = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})


def passes_filters(mol: Any) -> bool:
    """moses ``mol_passes_filters``: no ring ≥ 8, no charge, allowed atoms, no MCF/PAINS hit."""
    Chem = chem.require_rdkit()
    from rdkit import DataStructs

    ring_info = mol.GetRingInfo()
    if ring_info.NumRings() != 0 and any(len(r) >= 8 for r in ring_info.AtomRings()):
        return False
    if any(a.GetFormalCharge() != 0 for a in mol.GetAtoms()):
        return False
    if any(a.GetSymbol() not in _ALLOWED for a in mol.GetAtoms()):
        return False
    h_mol = Chem.AddHs(mol)
    # Pattern-fingerprint screen (RDKit's substructure screen, as in SubstructLibrary): a query
    # can match only if its bits are a subset of the molecule's, so most of the 502 SMARTS are
    # skipped without a match attempt. Same result as matching them all (tested: 60k molecules).
    fp = Chem.PatternFingerprint(h_mol)
    if any(
        DataStructs.AllProbeBitsMatch(screen, fp) and h_mol.HasSubstructMatch(query)
        for _, _, query, screen in filter_alerts()
    ):
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
            frag=m.frag,
            scaf=m.scaf,
            props=m.props,
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
_BLOCK = 4096  # rows per GEMM block: (4096, 1024) operands, (4096, ≤ 8192) count matrices


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """``torch.set_num_threads(threads)`` inside the block; None leaves the user's setting."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _bit_matrix(fps: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(fps, dtype=np.uint8)).to(dtype)


def _gemm_dtype(*fps: np.ndarray) -> torch.dtype:
    """bfloat16 when every common-bit count is exact in it, else float32.

    0/1 products summed by the GEMM's float32 accumulator are exact; the result is rounded to
    bfloat16 once, which keeps integers ≤ 256 exact (8-bit significand). A count is at most the
    smaller popcount, so fingerprints with ≤ 256 bits set (MOSES: 8–60 of 1024) give exact counts
    at the bfloat16 speed of the CPU's matrix units (~6× float32 here).
    """
    most = max((int(f.sum(1).max()) for f in fps if len(f)), default=0)
    return torch.bfloat16 if most <= 256 else torch.float32


def _tanimoto(common: torch.Tensor, total: torch.Tensor, empty: bool = True) -> torch.Tensor:
    """Tanimoto c / (|a| + |b| − c) in float32 from exact counts; two empty fingerprints → 1.

    ``total`` = |a| + |b| (float32, broadcastable); ``empty=False`` promises that no fingerprint
    is empty (then the denominator is ≥ 1 everywhere). Division of exact integers is correctly
    rounded, so every implementation that gets here with the same counts agrees bit for bit.
    ``common`` is overwritten.
    """
    denom = total - common
    if not empty:
        return common.div_(denom)
    zero = denom == 0
    t = common.div_(denom.clamp_(min=1.0))
    if zero.any():
        t[zero] = 1.0
    return t


def nearest_tanimoto(ref: np.ndarray, gen: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """Per generated molecule, the max Tanimoto to any reference fingerprint — (M,) float64.

    For a fixed query with |a| bits, T = c / (|a| + |b| − c) increases with the common-bit count
    c among references of the same popcount |b|. So the references are grouped by popcount, the
    GEMM's count matrix is reduced to the max count per group, and T is evaluated on the
    (M, groups) maxima only: one GEMM and one max pass per block, no elementwise division over
    the M × R matrix. Identical values to the dense computation (tested).
    """
    out = np.zeros(len(gen))
    if not len(gen) or not len(ref):
        return out
    dtype = _gemm_dtype(ref, gen)
    ref_pop = ref.sum(1, dtype=np.int64)
    order = np.argsort(ref_pop, kind="stable")
    pops, starts = np.unique(ref_pop[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    best = torch.zeros(len(gen), len(pops), dtype=torch.float32)  # (M, groups) max counts
    with torch_threads(threads), torch.inference_mode():
        g_all = _bit_matrix(gen, dtype)
        for k, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
            for j in range(lo, hi, 2 * _BLOCK):
                r = _bit_matrix(ref[order[j : min(hi, j + 2 * _BLOCK)]], dtype)
                for i in range(0, len(g_all), _BLOCK):
                    c = (g_all[i : i + _BLOCK] @ r.T).amax(1).float()  # (B,) max common bits
                    torch.maximum(best[i : i + _BLOCK, k], c, out=best[i : i + _BLOCK, k])
        gen_pop = torch.from_numpy(gen.sum(1, dtype=np.int64)).float()
        total = gen_pop[:, None] + torch.from_numpy(pops).float()[None, :]
        out[:] = _tanimoto(best, total).amax(1).double().numpy()  # (M,)
    return out


def mean_tanimoto(
    ref: np.ndarray, gen: np.ndarray, *, ps: Sequence[int] = (1,), threads: int | None = None
) -> dict[int, np.ndarray]:
    """Per generated molecule, (mean over ``ref`` of T^p)^{1/p} for each p — {p: (M,) float64}.

    When ``ref is gen`` only the upper block triangle of the symmetric Tanimoto matrix is
    computed (row sums of a block are the column sums of its mirror). T^p is formed in float32
    and summed in float64, as before: for p = 1 the float64 sums of these float32 values are exact,
    so the result is bit-identical in any order; for p = 2 equal to ~1e-16.
    """
    sums = {p: torch.zeros(len(gen), dtype=torch.float64) for p in ps}
    if len(gen) and len(ref):
        symmetric = ref is gen
        dtype = _gemm_dtype(ref, gen)
        with torch_threads(threads), torch.inference_mode():
            g_all = _bit_matrix(gen, dtype)
            r_all = g_all if symmetric else _bit_matrix(ref, dtype)
            g_pop = torch.from_numpy(gen.sum(1, dtype=np.int64)).float()
            r_pop = torch.from_numpy(ref.sum(1, dtype=np.int64)).float()
            empty = bool((g_pop == 0).any() or (r_pop == 0).any())
            for i in range(0, len(g_all), _BLOCK):
                g = g_all[i : i + _BLOCK]
                for j in range(i if symmetric else 0, len(r_all), _BLOCK):
                    common = (r_all[j : j + _BLOCK] @ g.T).float()  # (R, G) exact counts
                    total = r_pop[j : j + _BLOCK, None] + g_pop[None, i : i + _BLOCK]
                    t = _tanimoto(common, total, empty)
                    for p in ps:
                        tp = t if p == 1 else t.pow(p)  # float32, as before
                        sums[p][i : i + _BLOCK] += tp.sum(0, dtype=torch.float64)
                        if symmetric and j != i:  # the mirrored block (G rows of ref)
                            sums[p][j : j + _BLOCK] += tp.sum(1, dtype=torch.float64)
    out = {}
    for p in ps:
        v = sums[p].numpy() / max(len(ref), 1)
        out[p] = v if p == 1 else v ** (1.0 / p)
    return out


def tanimoto_agg(ref: np.ndarray, gen: np.ndarray, *, agg: str, p: int = 1) -> np.ndarray:
    """Per generated molecule: max or (mean T^p)^{1/p} of Tanimoto to ``ref`` — (M,) float64.

    Tanimoto on Morgan bit vectors; the Tanimoto of two empty fingerprints is 1, as in moses.
    """
    if agg == "max":
        return nearest_tanimoto(ref, gen)
    if agg == "mean":
        return mean_tanimoto(ref, gen, ps=(p,))[p]
    raise ValueError(f"agg must be 'max' or 'mean', not {agg!r}")


def internal_diversity(fps: np.ndarray, p: int = 1, *, threads: int | None = None) -> float:
    """MOSES IntDiv_p = 1 − mean_j (mean_i T_ij^p)^{1/p} over all pairs (self-pairs included)."""
    return internal_diversities(fps, (p,), threads=threads)[p]


def internal_diversities(
    fps: np.ndarray, ps: Sequence[int] = (1, 2), *, threads: int | None = None
) -> dict[int, float]:
    """IntDiv for several p from one pass over the symmetric Tanimoto matrix."""
    agg = mean_tanimoto(fps, fps, ps=ps, threads=threads)
    return {p: float(1.0 - v.mean()) for p, v in agg.items()}


def snn(ref_fps: np.ndarray, gen_fps: np.ndarray, *, threads: int | None = None) -> float:
    """MOSES SNN: mean over generated molecules of the max Tanimoto to the reference."""
    return float(nearest_tanimoto(ref_fps, gen_fps, threads=threads).mean())


def cos_similarity(ref: Counter, gen: Counter) -> float:
    """Cosine of float64 count vectors over the union of keys (NaN if either is empty)."""
    if not ref or not gen:
        return float("nan")
    keys = sorted(set(ref) | set(gen))
    a = np.array([ref.get(k, 0) for k in keys], dtype=np.float64)
    b = np.array([gen.get(k, 0) for k in keys], dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# The one Fréchet implementation (symmetric eigendecompositions, scigan.metrics.frechet); the
# old name stays for callers of this module.
frechet_psd = frechet_distance


@_one_blas_thread
def fcd(ref: ReferenceStats, act: np.ndarray) -> float:
    if len(act) < 2:
        return float("nan")
    return frechet_distance(ref.mu, ref.sigma, act.mean(0), np.cov(act.T))


def fraction_unique(smiles: Sequence[str], k: int) -> float:
    sub = list(smiles[:k])
    return len(set(sub)) / len(sub) if sub else float("nan")


def novelty(smiles: Sequence[str], train: set[str] | frozenset[str]) -> float:
    uniq = set(smiles)
    return len(uniq - train) / len(uniq) if uniq else float("nan")


def moses_metrics(
    generated: Sequence[str] | Molecules,
    references: dict[str, ReferenceStats],
    *,
    train: set[str] | None = None,
    ks: Sequence[int] = (1000, 10000),
    alerts: bool = True,
    timings: dict[str, float] | None = None,
    workers: int = 1,
    threads: int | None = None,
) -> dict[str, float]:
    """Every MOSES metric of ``generated`` against ``references`` (``{"Test": stats, ...}``).

    Args:
        workers: processes for the per-molecule work (parsing, fingerprints, ChemNet,
            fragments, scaffolds, filters, properties, alerts); each molecule is parsed once.
        threads: torch threads for the Tanimoto GEMMs (and ChemNet when ``workers`` is 1);
            None = the current setting.
        timings: if given, receives seconds per stage (wall time; with ``workers`` > 1 the
            per-molecule stages are one parallel pass, ``molecule pass (N workers)``, and their
            per-stage CPU seconds are added under ``cpu:<stage>``).

    The values do not depend on ``workers`` or ``threads`` (ChemNet's float32 activations may
    differ in the last bits across thread counts; FCD by < 1e-6).
    """
    clock = _Clock(timings)
    if isinstance(generated, Molecules):
        m = generated
    elif workers > 1:
        feats = ["fingerprints", "filters"] + (["alerts"] if alerts else [])
        if references:
            feats += ["chemnet", "fragments", "scaffolds", "properties"]
        cpu: dict[str, float] = {}
        m = Molecules.from_smiles(generated, workers=workers, features=feats, timings=cpu)
        clock(f"molecule pass ({workers} workers)")
        if timings is not None:
            timings.update({f"cpu:{k}": v for k, v in cpu.items()})
    else:
        m = Molecules.from_smiles(generated)
        clock("parse")
    out: dict[str, float] = {VALID: len(m.smiles) / m.n_input if m.n_input else float("nan")}
    for k in ks:
        out[unique_key(k)] = fraction_unique(m.smiles, k)
    if len(m.smiles) < 2:
        return out
    fps = m.fps
    clock("fingerprints")
    if references:
        with torch_threads(threads):
            act = m.chemnet
        clock("chemnet")
        gen_frag = m.frag
        clock("fragments")
        gen_scaf = m.scaf
        clock("scaffolds")
    for name, ref in references.items():
        out[f"FCD/{name}"] = fcd(ref, act)
        out[f"Frag/{name}"] = cos_similarity(ref.frag, gen_frag)
        out[f"Scaf/{name}"] = cos_similarity(ref.scaf, gen_scaf)
    clock("FCD/Frag/Scaf scores")
    for name, ref in references.items():
        out[f"SNN/{name}"] = snn(ref.fps, fps, threads=threads)
    clock("SNN")
    div = internal_diversities(fps, (1, 2), threads=threads)
    out[INTDIV], out[INTDIV2] = div[1], div[2]
    clock("IntDiv")
    out[FILTERS] = float(np.mean(m.filters))
    clock("filters")
    if references:
        props = m.props
        clock("properties")
        ref0 = next(iter(references.values()))
        for name in PROPERTY_METRICS:
            out[name] = float(wasserstein_distance(ref0.props[name], props[name]))
    if train is not None:
        out[NOVELTY] = novelty(m.smiles, train)
    if alerts:
        for cat in ALERT_CATALOGS:
            out[f"alerts/{cat}"] = float(m.alerts(cat).mean())
        clock("alerts")
    return out


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.t, self.timings = time.perf_counter(), timings

    def __call__(self, name: str) -> None:
        from scigan import progress

        progress.stage(f"{name} done")  # the evaluation bar names the last finished metric
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.t
        self.t = now


# ---------------------------------------------------------------------------- the evaluation
_REFERENCES: dict[str, dict[str, ReferenceStats]] = {}
_FLOORS: dict[tuple, dict[str, float]] = {}


def references(ds: MoleculeDataset) -> dict[str, ReferenceStats]:
    """``{"Test": stats, "TestSF": stats}`` (MOSES, stored) or ``{ds.reference: stats}``
    computed from ``ds.test`` (a user file's test split, or the validation split of
    :func:`~.data.validation_view`: ``{"Val": ...}``), cached on disk by the SMILES' hash."""
    if ds.moses and ds.reference == TEST:
        return {"Test": moses_reference("test"), "TestSF": moses_reference("test_scaffolds")}
    import hashlib

    key = hashlib.sha256("\n".join(ds.test).encode()).hexdigest()[:16]
    if key not in _REFERENCES:
        stats = ReferenceStats.load(f"ref-{key}")
        if stats is None:
            from scigan import progress

            progress.stage(f"reference statistics of {len(ds.test):,} {ds.reference} molecules")
            stats = ReferenceStats.from_molecules(Molecules.from_smiles(ds.test))
            stats.save(f"ref-{key}")
        _REFERENCES[key] = stats
    return {ds.reference: _REFERENCES[key]}


def evaluate_molecules(
    sample: SampleFn, reference: MoleculeDataset, *, n: int, seed: int
) -> MetricResult:
    """MOSES metrics of n generated molecules; floor = n real training molecules (MOSES 'Train').

    Against ``reference.test`` under ``reference.reference``'s name: the test split after
    training (FCD/Test, and FCD/TestSF for MOSES), the validation split during training
    (:func:`~.data.validation_view`: FCD/Val)."""
    if not isinstance(reference, MoleculeDataset):
        raise DataError("molecule evaluation needs a reference loaded by the molecules domain")
    refs = references(reference)
    train = novelty_set(reference)
    ks = [k for k in (1000, 10000) if k <= n] or [n]
    generated = sample(n, None, seed)
    value = moses_metrics(generated, refs, train=train, ks=ks)
    fkey = (reference.name, reference.reference, len(reference.pool), n, seed)
    if fkey not in _FLOORS:
        rng = np.random.default_rng([seed, 41])
        pool = reference.pool if len(reference.pool) >= n else reference.samples
        real = [pool[i] for i in rng.choice(len(pool), min(n, len(pool)), replace=False)]
        _FLOORS[fkey] = moses_metrics(real, refs, train=train, ks=ks)
    floor = _FLOORS[fkey]
    return {
        name: metric_entry(
            v,
            floor.get(name, float("nan")),
            n,
            seed,
            "lower" if lower_is_better(name) else "higher",
        )
        for name, v in value.items()
    }
