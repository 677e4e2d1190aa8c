"""The molecules domain end to end on 1k MOSES SMILES: both models, conditions, CLI, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("selfies")
pytest.importorskip("fcd_torch")

from scigan.domains.molecules.data import moses_data_available

if not moses_data_available():
    pytest.skip(
        "MOSES wheel data missing: bash scripts/fetch_molecules_data.sh", allow_module_level=True
    )

from scigan import Synthesizer
from scigan.cli import main
from scigan.domains.molecules import chem

FIXTURE = Path(__file__).parents[1] / "fixtures" / "molecules" / "moses_test_1k.smi"
TINY = dict(steps=20, n_critic=1, batch_size=64, z_dim=8, g_width=32, d_width=32, g_depth=1,
            d_depth=1, eval_n=100, threads=1)  # fmt: skip
TINY_AE = {"ae_steps": 30, "ae_hidden": 64, "ae_latent": 16}


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    old = os.environ.get("SCIGAN_CACHE")
    os.environ["SCIGAN_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        del os.environ["SCIGAN_CACHE"]
    else:
        os.environ["SCIGAN_CACHE"] = old


@pytest.fixture(scope="module")
def latent(tmp_path_factory):
    out = tmp_path_factory.mktemp("mol") / "latent"
    gan = Synthesizer(domain="molecules", options=TINY_AE, **TINY)
    return gan.fit(str(FIXTURE), out=out)


def test_latent_gan_samples_evaluates_and_reloads(latent):
    s = latent.sample(40, seed=3)
    assert len(s) == 40 and all(isinstance(x, str) for x in s)
    assert s == latent.sample(40, seed=3)
    enc = latent.encoder_
    assert (enc.alphabet, enc.retries, enc.temperature) == ("smiles", 4, 0.75)  # defaults
    result = latent.evaluate(n=100, seed=0)["metrics"]
    for key in ("valid", "unique@100", "FCD/Test", "SNN/Test", "IntDiv", "Novelty", "QED"):
        m = result[key]
        assert {"value", "floor", "n", "seed"} <= set(m) and m["n"] == 100
    assert result["FCD/Test"]["better"] == "lower" and result["valid"]["floor"] == 1.0
    assert result["Novelty"]["floor"] == 0.0  # real training molecules are not novel
    again = Synthesizer.load(latent.run_dir_)
    assert again.sample(40, seed=3) == s  # the autoencoder travels inside encoder.json


def test_evaluations_during_training_score_the_validation_split(latent):
    """The eval rows logged while training (they choose `best`) name the validation metrics;
    no test or scaffold-test metric is computed before training ends (issues 26, 28)."""
    rows = [json.loads(x) for x in (latent.run_dir_ / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r["kind"] == "eval"]
    assert evals and evals[-1]["step"] == TINY["steps"]
    for r in evals:
        assert "FCD/Val" in r["metrics"] and "SNN/Val" in r["metrics"]
        assert not [k for k in r["metrics"] if "Test" in k]
    assert (latent.run_dir_ / "checkpoints" / "best.json").exists()  # chosen by FCD/Val


def test_decoder_adapted_to_the_gan_is_saved_and_reloaded(tmp_path):
    """After training, a copy of the decoder is fitted to the GAN's codes (adapt_steps); it is
    logged, kept in the checkpoint (latest and the best tag that shares its file), reloads to
    the same samples, and resume fits it again from the autoencoder's own decoder."""
    import torch

    out = tmp_path / "adapt"
    gan = Synthesizer(domain="molecules", options={**TINY_AE, "adapt_steps": 7}, **TINY)
    gan.fit(str(FIXTURE), out=out)
    enc = gan.encoder_
    assert enc.decoder_ is not None and enc.adapt_steps == 7
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    adapt = [r for r in rows if r["kind"] == "adapt"]
    assert len(adapt) == 1 and adapt[0]["steps"] == 7 and adapt[0]["step"] == TINY["steps"]
    assert adapt[0]["nats"] > 0 and adapt[0]["distance"] > 0 and adapt[0]["temperature"] == 1.0
    own, new = enc.model_.state_dict(), enc.decoder_.state_dict()
    assert not torch.equal(own["gru.weight_hh_l0"], new["gru.weight_hh_l0"])
    assert torch.equal(own["to_z.weight"], new["to_z.weight"])
    s = gan.sample(30, seed=2)
    for tag in ("latest", "best"):
        again = Synthesizer.load(out, checkpoint=tag)
        assert again.encoder_.decoder_ is not None and again.sample(30, seed=2) == s
    plain = Synthesizer(domain="molecules", options={**TINY_AE, "adapt_steps": 0}, **TINY)
    plain.fit(str(FIXTURE))
    assert plain.encoder_.decoder_ is None
    gan.resume(steps=TINY["steps"] + 5)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "adapt"] == [20, 25]
    assert Synthesizer.load(out).sample(30, seed=2) == gan.sample(30, seed=2)


def test_selfies_gan_and_cli(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "--domain", "molecules", "--data", str(FIXTURE), "--out", str(run),
            "--steps", "10", "--n-critic", "1", "--batch-size", "32", "--z-dim", "8",
            "--g-width", "32", "--d-width", "32", "--g-depth", "1", "--d-depth", "1",
            "--eval-n", "50", "--quiet", "--set", "model=selfies-gan"]  # fmt: skip
    assert main(args) == 0
    out = tmp_path / "s.smi"
    assert main(["sample", str(run), "-n", "25", "--out", str(out), "--seed", "1"]) == 0
    assert len(out.read_text().splitlines()) == 25
    capsys.readouterr()
    assert main(["evaluate", str(run), "-n", "50", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert 0 <= result["metrics"]["valid"]["value"] <= 1


def test_property_conditioned_model(tmp_path):
    gan = Synthesizer(domain="molecules", options={**TINY_AE, "conditions": ["QED", "logP"]},
                      **TINY)  # fmt: skip
    gan.fit(str(FIXTURE))
    assert gan.encoder_.condition_names == ["QED", "logP"]
    cond = gan.domain_.parse_conditions(gan.encoder_, {"qed": "0.9"}, 30)
    assert cond.shape == (30, 2) and (cond["QED"] == 0.9).all()
    s = gan.sample(30, seed=0, conditions=cond)
    assert len(s) == 30
    gan.domain_.write_samples(s, cond, tmp_path / "c.csv")
    assert list(pd.read_csv(tmp_path / "c.csv").columns) == ["smiles", "target_QED", "target_logP"]


def test_invalid_input_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.smi"
    bad.write_text("CCO\n" * 30 + "C1CC\n")
    code = main(["train", "--domain", "molecules", "--data", str(bad), "--steps", "1",
                 "--quiet", "--out", str(tmp_path / "r")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and "line 31: 'C1CC'" in err and "invalid=skip" in err
    assert len(err.splitlines()) == 1


def test_report_has_molecule_grid(latent):
    path = latent.report(n=100)
    html = Path(path).read_text()
    assert "Generated molecules" in html and "Properties: test set vs generated" in html


def test_critic_features_feed_the_activity_predictors(latent, tmp_path, capsys):
    import numpy as np
    import torch

    from scigan.domains.molecules import activity as A

    smiles = FIXTURE.read_text().split()[:200]
    feats = A.critic_features(latent, smiles[:50])
    D = latent.state_.D
    assert feats.shape == (50, D.inp.out_features)
    with torch.no_grad():  # the critic's output is its linear head on exactly these features
        direct = D(latent.encoder_.encode(smiles[:50])).numpy()
        head = D.head.linear(torch.from_numpy(feats)).squeeze(1).numpy()
    np.testing.assert_allclose(head, direct, rtol=1e-5, atol=1e-5)
    with chem.quiet_rdkit():
        logp = np.array([chem.logp(chem.get_mol(s)) for s in smiles])
    p = tmp_path / "lab.csv"
    rows = "".join(f"{s},{int(v > np.median(logp))}\n" for s, v in zip(smiles, logp, strict=True))
    p.write_text("smiles,high\n" + rows)
    res = A.activity_benchmark(p, latent, label_column="high", fractions=(1.0,), n_estimators=20)
    assert list(res["features"]) == list(A.PREDICTORS)
    assert res["roc_auc"].between(0, 1).all()
    A.main([str(p), "--label-column", "high", "--model", str(latent.run_dir_), "--trees", "10",
            "--bootstrap", "20", "--labels", "1.0"], load_model=Synthesizer.load)  # fmt: skip
    table = capsys.readouterr().out
    assert "| lab.csv | linear-critic | 100% (160) |" in table and A.FLOOR in table


def test_selfies_latent_gan_decodes_valid_molecules(tmp_path):
    """With SELFIES tokens even an autoencoder trained for 30 steps decodes to valid molecules
    (every SELFIES string is one, unless it is empty)."""
    gan = Synthesizer(domain="molecules", options={**TINY_AE, "alphabet": "selfies"}, **TINY)
    s = gan.fit(str(FIXTURE), out=tmp_path / "sf").sample(40, seed=3)
    with chem.quiet_rdkit():
        assert sum(chem.canonical(x) is not None for x in s) >= 30


def test_latent_baselines_use_the_gan_codes(latent):
    """The Gaussian baseline is the closed-form fit of the GAN's training codes; both latent
    baselines are seeded and decode through the same autoencoder."""
    import torch

    from scigan.domains.molecules.baselines import LatentGaussian, prior_sample

    smiles = FIXTURE.read_text().split()[:300]
    enc = latent.encoder_
    codes = enc.encode(smiles).double()
    base = LatentGaussian(enc).fit(smiles)
    assert torch.allclose(base.mean_, codes.mean(0))
    cov = base.chol_ @ base.chol_.T
    assert torch.allclose(cov, torch.cov(codes.T), atol=1e-4 * float(cov.diagonal().mean()))
    a = base.sample(50, seed=1)
    assert a == base.sample(50, seed=1) and len(a) == 50
    assert enc.code_mean_ is not None  # the default autoencoder is variational
    p = prior_sample(enc, 50, seed=2)
    assert p == prior_sample(enc, 50, seed=2) and all(isinstance(x, str) for x in p)
