"""The fast MOSES metric paths give the same values as the algorithms they replaced.

``_dense_tanimoto_agg`` below is the previous implementation of ``metrics.tanimoto_agg``
(float32 GEMM on 0/1 matrices, elementwise Tanimoto over the whole matrix), kept verbatim as the
reference for the popcount-grouped nearest neighbour, the bfloat16 GEMM and the symmetric IntDiv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("rdkit")

from scigan.domains.molecules.data import moses_data_available

if not moses_data_available():
    pytest.skip(
        "MOSES wheel data missing: bash scripts/fetch_molecules_data.sh", allow_module_level=True
    )

from scigan.domains.molecules import metrics as M

FIXTURE = Path(__file__).parents[1] / "fixtures" / "molecules" / "moses_test_1k.smi"


def _dense_tanimoto_agg(ref: np.ndarray, gen: np.ndarray, *, agg: str, p: int = 1) -> np.ndarray:
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


@pytest.fixture(scope="module")
def fixture_fps() -> np.ndarray:
    return M.Molecules.from_smiles(FIXTURE.read_text().split()).fps  # (1000, 1024)


@pytest.fixture(scope="module")
def reference_fps() -> np.ndarray:
    """9,000 stored MOSES test fingerprints: > 2 GEMM blocks, all popcount groups."""
    return M.moses_reference("test").fps[::19][:9000]


def test_nearest_tanimoto_equals_dense(fixture_fps, reference_fps):
    gen = np.concatenate([fixture_fps] * 5)[:4500]  # > one 4096 block of queries
    new = M.nearest_tanimoto(reference_fps, gen)
    old = _dense_tanimoto_agg(reference_fps, gen, agg="max")
    assert np.array_equal(new, old)  # bit for bit
    assert M.snn(reference_fps, gen) == float(old.mean())


@pytest.mark.parametrize("p", [1, 2])
def test_mean_tanimoto_and_intdiv_equal_dense(fixture_fps, reference_fps, p):
    gen = np.concatenate([fixture_fps] * 5)  # 5,000: symmetric blocks (0,0), (0,1), (1,1)
    gen = gen[np.random.default_rng(0).permutation(len(gen))]
    sym = M.mean_tanimoto(gen, gen, ps=(p,))[p]
    old = _dense_tanimoto_agg(gen, gen, agg="mean", p=p)
    cross = M.mean_tanimoto(reference_fps[:5000], gen[:700], ps=(p,))[p]
    old_cross = _dense_tanimoto_agg(reference_fps[:5000], gen[:700], agg="mean", p=p)
    if p == 1:  # float64 sums of these float32 values are exact: any order, same bits
        assert np.array_equal(sym, old) and np.array_equal(cross, old_cross)
    else:
        np.testing.assert_allclose(sym, old, rtol=1e-14, atol=0)
        np.testing.assert_allclose(cross, old_cross, rtol=1e-14, atol=0)
    both = M.internal_diversities(gen, (1, 2))
    assert both[p] == pytest.approx(1 - old.mean(), rel=1e-14)


def test_edge_cases_empty_and_dense_fingerprints():
    """Empty fingerprints (T(∅, ∅) = 1) and > 256 bits set (float32 GEMM path) agree too."""
    rng = np.random.default_rng(3)
    fps = (rng.random((300, 1024)) < rng.uniform(0.01, 0.1, (300, 1))).astype(np.uint8)
    fps[:3] = 0
    fps[3] = 1  # 1024 bits: counts above bfloat16's exact range
    assert M._gemm_dtype(fps) == torch.float32 and M._gemm_dtype(fps[4:]) == torch.bfloat16
    for sub in (fps, fps[4:]):
        assert np.array_equal(
            M.nearest_tanimoto(sub, sub), _dense_tanimoto_agg(sub, sub, agg="max")
        )
        for p in (1, 2):
            np.testing.assert_allclose(
                M.mean_tanimoto(sub, sub, ps=(p,))[p],
                _dense_tanimoto_agg(sub, sub, agg="mean", p=p),
                rtol=1e-14, atol=0,
            )  # fmt: skip
    assert M.nearest_tanimoto(fps[1:2], fps[:1])[0] == 1.0  # two empty fingerprints
    assert M.nearest_tanimoto(fps[4:], fps[:1])[0] == 0.0  # empty vs non-empty


def test_worker_pool_gives_identical_metrics(monkeypatch):
    """The RDKit features computed in 2 worker processes equal the in-process ones."""
    smiles = FIXTURE.read_text().split()
    smiles = [*smiles[:150], "C1CC", "", "not a smiles", *smiles[:20]]  # invalids, duplicates
    ref = M.ReferenceStats.from_molecules(
        M.Molecules.from_smiles(FIXTURE.read_text().split()[700:800])
    )
    refs = {"Test": ref}
    one = M.moses_metrics(smiles, refs, train=set(smiles[:50]), ks=(100,))
    monkeypatch.setattr(M, "_CHUNK", 25)  # 7 chunks over 2 workers (the default is 500)
    timings: dict[str, float] = {}
    two = M.moses_metrics(smiles, refs, train=set(smiles[:50]), ks=(100,), workers=2,
                          timings=timings)  # fmt: skip
    assert one.keys() == two.keys()
    for k in one:
        assert two[k] == one[k] or (np.isnan(one[k]) and np.isnan(two[k])), k
    assert "molecule pass (2 workers)" in timings and timings["cpu:filters"] > 0
    assert timings["cpu:chemnet"] > 0  # ChemNet ran in the workers too


_PARENT: list[int] = []


def _die_in_worker(task):
    """The chunk task, except in a worker process, which dies without a word (killed, out of
    memory, crashed); forked workers see the test process's pid in _PARENT."""
    import os

    if os.getpid() not in _PARENT:
        os._exit(3)
    return _REAL_TASK(task)


_REAL_TASK = M._featurize_chunk


def test_dead_worker_falls_back_to_this_process(monkeypatch):
    """A worker that dies is reported (a warning) and the chunks are computed in-process, with
    the same features; the caller's torch thread count is left as it was."""
    import os

    smiles = FIXTURE.read_text().split()[:120]
    one = M.Molecules.from_smiles(smiles)
    monkeypatch.setattr(M, "_CHUNK", 25)
    monkeypatch.setattr(M, "_featurize_chunk", _die_in_worker)
    _PARENT[:] = [os.getpid()]
    threads = torch.get_num_threads()
    with pytest.warns(RuntimeWarning, match="worker process died"):
        two = M.Molecules.from_smiles(smiles, workers=2, features=("fingerprints", "chemnet"))
    assert two.smiles == one.smiles and (two.fps == one.fps).all()
    np.testing.assert_allclose(two.chemnet, one.chemnet, rtol=1e-5, atol=1e-5)
    assert torch.get_num_threads() == threads


def test_filter_screen_has_no_false_negatives():
    """The pattern-fingerprint screen never skips a SMARTS that matches, so ``passes_filters``
    equals matching every pattern: 1k MOSES molecules, 65 generated molecules that hit 29 of the
    502 MCF/PAINS patterns (``filter_hits.smi``) and known alerts."""
    from rdkit import Chem, DataStructs

    extra = ["S=C1SC(=Cc2ccccc2)C(=O)N1", "O=C1C=CC(=O)C=C1", "Oc1ccccc1O", "C=CC(=O)OC",
             "N=Nc1ccccc1", "CC(=O)OO", "c1ccc2c(c1)Cc1ccccc1-2"]  # fmt: skip
    hits_file = FIXTURE.with_name("filter_hits.smi").read_text().split()
    mols = M.Molecules.from_smiles(FIXTURE.read_text().split() + hits_file + extra).mols
    alerts = M.filter_alerts()
    patterns, screens = [a[2] for a in alerts], [a[3] for a in alerts]
    assert len(alerts) == 502 and {a[0] for a in alerts} == {"MCF", "PAINS"}
    hits = 0
    for mol in mols:
        h = Chem.AddHs(mol)
        fp = Chem.PatternFingerprint(h)
        matched = [h.HasSubstructMatch(p) for p in patterns]
        hits += sum(matched)
        for ok, screen in zip(matched, screens, strict=True):
            assert not ok or DataStructs.AllProbeBitsMatch(screen, fp)
    assert hits >= 100  # the check saw many matching (molecule, pattern) pairs
    assert not M.passes_filters(mols[-7])  # rhodanine
