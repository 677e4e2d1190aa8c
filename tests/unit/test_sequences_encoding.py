"""One-hot encoding, alphabets and user-file parsing for the sequences domain."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from scigan.domains.base import Dataset
from scigan.domains.sequences import data as sdata
from scigan.domains.sequences.encoding import SequenceEncoder, guess_alphabet, resolve_alphabet
from scigan.errors import DataError


def _fit(seqs, alphabet="ACGT", **info):
    ds = Dataset("t", seqs, None, {"alphabet": alphabet, **info})
    return SequenceEncoder().fit(ds)


def test_one_hot_round_trip_fixed_length():
    seqs = ["ACGTAC", "TTTTGG", "GACATA"]
    enc = _fit(seqs)
    x = enc.encode(seqs)
    assert x.shape == (3, 4, 6) and not enc.pad_
    assert torch.equal(x.sum(dim=1), torch.ones(3, 6))  # exactly one symbol per position
    assert enc.decode(x) == seqs
    assert len(enc.output_spans()) == 6 and enc.output_spans()[0].dim == 4


def test_one_hot_round_trip_variable_length_uses_end_token():
    seqs = ["KLAK", "GIGKFLHSAKK", "W"]
    enc = _fit(seqs, resolve_alphabet("protein"))
    x = enc.encode(seqs)
    assert enc.pad_ and x.shape == (3, 21, 11)
    assert x[0, 20, 4:].sum() == 7  # end channel after the 4 residues
    assert enc.decode(x) == seqs
    # decoding stops at the first end token even if residues follow it
    y = x.clone()
    y[1, :, 3] = 0
    y[1, 20, 3] = 1
    assert enc.decode(y)[1] == "GIG"


def test_state_dict_round_trip_with_label_condition():
    ds = Dataset("t", ["ACG", "TTA"], np.array(["a", "b"]), {"alphabet": "ACGT"})
    enc = SequenceEncoder().fit(ds)
    other = SequenceEncoder()
    other.load_state_dict(enc.state_dict())
    assert other.cond_dim == 2
    assert torch.equal(other.encode_conditions(["b", "a"]), torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(DataError, match="not in the training data"):
        other.encode_conditions(["c"])


def test_guess_and_resolve_alphabet():
    assert guess_alphabet(["ACGT", "AAC"]) == "dna"
    assert guess_alphabet(["ACGU"]) == "rna"
    assert guess_alphabet(["MKLV"]) == "protein"
    assert resolve_alphabet("01") == "01"
    with pytest.raises(DataError, match="distinct"):
        resolve_alphabet("AAB")


def test_invalid_character_names_record_and_position(tmp_path):
    fa = tmp_path / "x.fasta"
    fa.write_text(">ok\nACGT\n>ok2\nGGTA\n>bad_one desc\nACNGT\n")
    with pytest.raises(DataError, match=r"record 'bad_one'.*'N' at position 3"):
        sdata.load_user(fa, {"alphabet": "dna"})
    ds = sdata.load_user(fa, {"alphabet": "dna", "invalid": "drop"})
    assert ds.samples == ["ACGT", "GGTA"] and ds.info["dropped"] == 1


def test_fasta_gz_multiline_and_lowercase(tmp_path):
    fa = tmp_path / "x.fa.gz"
    with gzip.open(fa, "wt") as fh:
        fh.write(">a\nacg\ntac\n>b\nGGGCCC\n")
    ds = sdata.load_user(fa, {})
    assert ds.samples == ["ACGTAC", "GGGCCC"] and ds.info["alphabet"] == "ACGT"


def test_csv_sequence_column_and_condition(tmp_path):
    f = tmp_path / "pep.csv"
    f.write_text("name,sequence,activity\np1,KLAKLAK,1.5\np2,GIGK,0.2\n")
    ds = sdata.load_user(f, {"condition": "activity", "id_column": "name"})
    assert ds.samples == ["KLAKLAK", "GIGK"]
    assert np.allclose(ds.conditions, [1.5, 0.2])
    with pytest.raises(DataError, match="no column 'seqq'"):
        sdata.load_user(f, {"column": "seqq"})


def test_fasta_without_header_is_a_clear_error(tmp_path):
    fa = tmp_path / "x.fasta"
    fa.write_text("ACGT\n")
    with pytest.raises(DataError, match=r"line 1 .*before any '>'"):
        sdata.load_user(fa, {})


def test_latent_decoder_adaptation_pairs_64_sequences_per_step(tmp_path, monkeypatch):
    # 256 pairs per step (the molecules' setting) cost 4.2 s a step at L = 101 on one thread:
    # 500 steps = 35 minutes, past the 20-minute budget per set; the sequences encoder uses 64
    from scigan.domains.latent import LatentCodes
    from scigan.domains.molecules.encoding import LatentEncoder
    from scigan.domains.sequences.encoding import ADAPT_BATCH, LatentSequenceEncoder

    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(40)]
    ds = Dataset("t", seqs, None, {"alphabet": "ACGT"})
    enc = LatentSequenceEncoder(ae={"steps": 3, "hidden": 8, "latent": 4, "embed": 4}, seed=0,
                                adapt_steps=2)  # fmt: skip
    enc.fit(ds)
    sizes = []

    def draw(rows, seed):
        sizes.append(len(rows))
        return torch.randn(len(rows), enc.gan_dim)

    assert enc.adapt(ds, draw, seed=0, steps=8) is not None
    assert ADAPT_BATCH == 64 and sizes == [64, 64]
    assert LatentEncoder.adapt_batch == LatentCodes.adapt_batch == 256  # molecules unchanged


def test_latent_temperature_option_reaches_the_adapted_decoder():
    # sample() reads the GAN's codes with the decoder adapted to them; --set temperature used to
    # reach only the autoencoder's own decoder, so it changed nothing in the samples
    from scigan.api import Synthesizer
    from scigan.domains.sequences.encoding import TEMPERATURE, make_encoder

    def encoder(options):
        gan = Synthesizer(domain="sequences", options={"model": "latent-gan", **options})
        return make_encoder(gan.resolve_config("orf"))

    enc = encoder({"temperature": 0.9})
    assert enc.temperature == enc.adapt_temperature == 0.9
    enc = encoder({})
    assert enc.temperature == enc.adapt_temperature == TEMPERATURE == 1.0


def test_ngram_prior_default_is_by_alphabet_and_ae_ngram_overrides(tmp_path, monkeypatch):
    # DNA: the decoder reads an order-k chain (k chosen on held-out likelihood); peptides: none
    # (on amp an order-3 prior pulled charge and pI toward the chains'); --set ae_ngram=N wins
    from scigan.domains.sequences.encoding import LatentSequenceEncoder, default_ngram

    assert default_ngram("ACGT") == default_ngram("ACGU") == 5
    assert default_ngram("ACDEFGHIKLMNPQRSTVWY") == 0
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    small = {"steps": 2, "hidden": 8, "latent": 4, "embed": 4}

    def fitted(alphabet, ae):
        seqs = ["".join(rng.choice(list(alphabet), 12)) for _ in range(60)]
        enc = LatentSequenceEncoder(ae={**small, **ae}, seed=0, adapt_steps=0)
        return enc.fit(Dataset("t", seqs, None, {"alphabet": alphabet})).model_

    assert fitted("ACGT", {}).cfg.ngram >= 0
    assert fitted("ACDEFGHIKLMNPQRSTVWY", {}).cfg.ngram == -1
    assert fitted("ACGT", {"ngram_max": 0}).cfg.ngram == -1
    assert fitted("ACDEFGHIKLMNPQRSTVWY", {"ngram_max": 1}).cfg.ngram in (0, 1)
