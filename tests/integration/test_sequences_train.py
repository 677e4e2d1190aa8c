"""Sequence GANs train a few steps, sample, evaluate and write files on CPU in seconds."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scigan import Synthesizer
from scigan.cli import main
from scigan.domains.sequences import data as sdata
from scigan.domains.sequences.data_files import wheel_dir

TINY = {
    "z_dim": 8,
    "g_width": 8,
    "d_width": 8,
    "g_depth": 1,
    "d_depth": 1,
    "batch_size": 16,
    "n_critic": 1,
    "steps": 3,
    "log_every": 3,
    "eval_every": 0,
    "ckpt_every": 3,
    "eval_n": 24,
    "threads": 1,
    "options": {"model": "direct"},  # the one-hot GAN; the default latent GAN: LATENT below
}
HAS_MODLAMP = (wheel_dir() / sdata.MODLAMP_WHEEL).is_file()


def _check_entries(metrics):
    for name, m in metrics.items():
        assert {"value", "floor", "n", "seed"} <= set(m), name
        assert isinstance(m["value"], float) and math.isfinite(m["floor"]), name


def test_orf_fit_sample_evaluate_save_load(tmp_path):
    gan = Synthesizer(domain="sequences", **TINY).fit("orf", n=200)
    seqs = gan.sample(10, seed=3)
    assert len(seqs) == 10 and all(len(s) == 99 and set(s) <= set("ACGT") for s in seqs)
    assert gan.sample(10, seed=3) == seqs
    res = gan.evaluate(n=24)
    m = res["metrics"]
    _check_entries(m)
    assert {"orf_validity", "kmer_jsd_6", "gc_w1", "nearest_identity", "classifier_auc"} <= set(m)
    assert m["orf_validity"]["floor"] == 1.0  # real ORFs are all valid
    assert m["kmer_jsd_1"]["value"] >= 0
    gan.save(tmp_path / "run")
    again = Synthesizer.load(tmp_path / "run")
    assert again.sample(10, seed=3) == seqs


def test_checkpoints_on_validation_results_on_test_and_the_run_records_the_split(tmp_path):
    """orf n=200, 5 % validation / 10 % test: training-time evaluations score the 10 validation
    sequences, evaluate() the 20 test ones; a reloaded run rebuilds the same split."""
    opts = {"n": 200, "val_fraction": 0.05}
    settings = {**TINY, "steps": 4, "eval_every": 2, "ckpt_every": 2}
    gan = Synthesizer(domain="sequences", **settings).fit("orf", out=tmp_path / "run", **opts)
    data = json.loads((tmp_path / "run" / "config.json").read_text())["data"]
    assert (data["n_train"], data["n_val"], data["n_test"]) == (170, 10, 20)
    assert "by distinct sequence" in data["split"] and data["split_seed"] == 0
    assert len(gan.dataset_.samples) == 170  # the model trained on the train part only
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    evals = [e for e in map(json.loads, lines) if e["kind"] == "eval"]
    assert evals and all(e["metrics"]["fidelity"]["n"] == 10 for e in evals)
    test = gan.evaluate(n=24)["metrics"]
    assert test["fidelity"]["n"] == 20
    assert test["exact_copy_fraction"]["pool"] == len(set(gan.dataset_.samples))
    again = Synthesizer.load(tmp_path / "run")
    assert again.evaluate(n=24) == gan.evaluate(n=24)  # the same test part, rebuilt


def test_variable_length_user_fasta_with_end_token(tmp_path):
    rng = np.random.default_rng(0)
    recs = [
        "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), rng.integers(5, 15))) for _ in range(60)
    ]
    fa = tmp_path / "pep.faa"
    fa.write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(recs)))
    gan = Synthesizer(domain="sequences", **TINY).fit(str(fa))
    assert gan.encoder_.pad_ and gan.encoder_.max_len_ == 14
    out = gan.sample(20, seed=0)
    assert all(len(s) <= 14 and set(s) <= set("ACDEFGHIKLMNPQRSTVWY") for s in out)
    m = gan.evaluate(n=24)["metrics"]
    assert {"charge_w1", "isoelectric_point_w1", "length_w1", "kmer_jsd_3"} <= set(m)
    assert "kmer_jsd_4" not in m


def test_markov_and_motif_metrics_present():
    gan = Synthesizer(domain="sequences", **TINY).fit("markov", n=100, length=40)
    m = gan.evaluate(n=24)["metrics"]
    assert m["markov_loglik"]["exact_expected"] < 0
    gan = Synthesizer(domain="sequences", **TINY).fit("motif", n=100)
    m = gan.evaluate(n=24)["metrics"]
    assert {"motif_hit_fraction", "motif_hit_error", "motif_position_w1"} <= set(m)
    assert m["motif_hit_fraction"]["planted_rate"] == 0.5
    # scored against the simulator's own hit fraction (0.517 at the defaults), not the 0.5
    assert 0.51 < m["motif_hit_fraction"]["true_rate"] < 0.53
    e = m["motif_hit_error"]
    assert e["value"] == pytest.approx(abs(m["motif_hit_fraction"]["value"] - e["true_rate"]))


def test_conditional_label_csv(tmp_path):
    rows = ["sequence,label"] + [f"{'ACGT'[i % 4] * 6}GG,{'ab'[i % 2]}" for i in range(40)]
    f = tmp_path / "s.csv"
    f.write_text("\n".join(rows) + "\n")
    gan = Synthesizer(domain="sequences", **TINY).fit(str(f), condition="label")
    assert gan.encoder_.cond_dim == 2
    out = gan.sample(5, seed=0, conditions=np.array(["a"] * 5))
    assert len(out) == 5


def test_cli_train_sample_evaluate(tmp_path, capsys):
    run = tmp_path / "run"
    flags = ["--z-dim", "8", "--g-width", "8", "--d-width", "8", "--g-depth", "1"]
    flags += ["--d-depth", "1", "--batch-size", "16", "--n-critic", "1", "--eval-n", "24"]
    flags += ["--set", "model=direct"]
    assert (
        main(
            [
                "train",
                "--data",
                "orf",
                "--set",
                "n=100",
                "--steps",
                "2",
                "--out",
                str(run),
                "--threads",
                "1",
                *flags,
            ]
        )
        == 0
    )
    fa = tmp_path / "gen.fasta"
    assert main(["sample", str(run), "-n", "7", "--out", str(fa), "--seed", "1"]) == 0
    text = fa.read_text().splitlines()
    assert len(text) == 14 and text[0] == ">gen_0" and len(text[1]) == 99
    assert main(["evaluate", str(run), "-n", "24"]) == 0
    out = capsys.readouterr().out
    assert "orf_validity" in out


def test_bad_fasta_character_is_one_line_error(tmp_path, capsys):
    fa = tmp_path / "bad.fa"
    fa.write_text(">a\nACGT\n>b\nACGT\n>c\nAC*T\n")
    assert (
        main(
            [
                "train",
                "--domain",
                "sequences",
                "--data",
                str(fa),
                "--steps",
                "1",
                "--out",
                str(tmp_path / "r"),
                "--set",
                "alphabet=dna",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert "record 'c'" in err and "position 3" in err and len(err.splitlines()) == 1


@pytest.mark.skipif(not HAS_MODLAMP, reason="modlamp wheel not downloaded")
def test_amp_trains_and_reports_peptide_properties(tmp_path):
    gan = Synthesizer(domain="sequences", **TINY).fit("amp", out=tmp_path / "run")
    m = gan.evaluate(n=24)["metrics"]
    assert {"charge_w1", "hydrophobic_moment_w1", "hydrophobicity_w1"} <= set(m)
    path = gan.report(n=24)
    assert path.exists() and "k-mer spectra" in path.read_text()
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["config"]["objective"]["loss"] == "wgan-gp"


# ---------------------------------------------------------------------------- latent GAN
# no model option: the shipped default
LATENT = {**TINY, "options": {"ae_steps": 20, "ae_hidden": 16, "ae_latent": 8, "adapt_steps": 3}}


@pytest.fixture
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))


def test_latent_gan_fixed_length_fit_sample_save_load(tmp_path, _cache):
    gan = Synthesizer(domain="sequences", **LATENT).fit("orf", n=200)
    assert type(gan.encoder_).__name__ == "LatentSequenceEncoder"
    assert gan.encoder_.model_.cfg.decoder == "cnn"
    seqs = gan.sample(12, seed=3)
    # fixed-length data: exactly 99 residues, the special tokens never drawn
    assert all(len(s) == 99 and set(s) <= set("ACGT") for s in seqs)
    assert gan.sample(12, seed=3) == seqs  # the seed fixes the decoder's token draws too
    gan.save(tmp_path / "run")
    again = Synthesizer.load(tmp_path / "run")
    assert type(again.encoder_).__name__ == "LatentSequenceEncoder"
    assert again.encoder_.decoder_ is not None  # the adapted decoder travels in the checkpoint
    assert again.sample(12, seed=3) == seqs


def test_latent_gan_variable_length_reads_up_to_the_end_token(tmp_path, _cache):
    rng = np.random.default_rng(0)
    recs = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), rng.integers(5, 15)))
            for _ in range(60)]  # fmt: skip
    fa = tmp_path / "pep.faa"
    fa.write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(recs)))
    gan = Synthesizer(domain="sequences", **LATENT).fit(str(fa))
    out = gan.sample(30, seed=0)
    assert all(len(s) <= 14 and set(s) <= set("ACDEFGHIKLMNPQRSTVWY") for s in out)
    ids = gan.encoder_.ids(recs[:3])
    for row, s in zip(ids, recs[:3], strict=True):  # residues, <eos>, padding
        assert row[len(s)] == 2 and (row[: len(s)] >= 3).all() and (row[len(s) + 1 :] == 0).all()


def test_unknown_model_is_a_one_line_error():
    with pytest.raises(Exception, match="model='rnn'"):
        Synthesizer(domain="sequences", **{**TINY, "options": {"model": "rnn"}}).fit("orf", n=50)


def test_the_default_is_the_latent_gan_and_direct_keeps_the_one_hot_gan(_cache):
    from scigan.domains.sequences import DIRECT_DEFAULTS, LATENT_DEFAULTS

    cfg = Synthesizer(domain="sequences").resolve_config("ecoli")
    assert cfg.steps == LATENT_DEFAULTS["steps"] and cfg.net.g_width == 256
    cfg = Synthesizer(domain="sequences", options={"model": "direct"}).resolve_config("orf")
    assert cfg.steps == DIRECT_DEFAULTS["orf"]["steps"] and cfg.net.g_width == 32


def test_latent_autoencoder_weights_are_chosen_on_the_validation_part(_cache):
    """orf n=200: 170 / 10 / 20; the autoencoder's held-out checks read the 10 validation
    sequences only (never the test part) and keep the weights of the lowest check."""
    opts = {"ae_steps": 12, "ae_patience": 0}
    gan = Synthesizer(domain="sequences", **LATENT).fit("orf", n=200, val_fraction=0.05, **opts)
    info = gan.encoder_.ae_info_
    assert info["val_rows"] == 10 and info["steps"] == 12
    curve = dict(map(tuple, info["val_curve"]))
    assert list(curve) == [12]  # checks every 200 steps and at the last
    assert info["best_step"] == min(curve, key=curve.get)
    assert "val_reconstruction" in info
