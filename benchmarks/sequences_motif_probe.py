"""Where the latent GAN loses planted motif sites: the autoencoder alone, on the validation part.

Trains (or loads from ``SCIGAN_CACHE``) the motif autoencoder of the shipped defaults plus any
``--set`` options, exactly as ``scigan train --data motif`` would, and reports on the validation
part of the seeded split (never the test part):

* hit fractions (relative PWM score ≥ the dataset's threshold) of the validation sequences
  themselves, of their reconstructions (posterior means decoded at T = 1 and 0.9) and of codes
  drawn from the prior N(0, I) at T = 1, beside the simulator's true hit fraction;
* reconstruction nats per sequence (teacher forcing at the posterior mean, no KL);
* per site offset, the mean log-probability the decoder gives the bases of the validation
  sites (teacher forcing, at the posterior mean and at z = 0) beside the motif's own
  probabilities of those bases (the count matrix; −inf where a base has zero count).

    python benchmarks/sequences_motif_probe.py --seed 0                  # shipped autoencoder
    python benchmarks/sequences_motif_probe.py --seed 0 --set ae_beta=1.0 --set ae_zpos=8
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

from scigan import Synthesizer
from scigan.domains.latent import encode_batches
from scigan.domains.sequences import SequencesDomain
from scigan.domains.sequences import motifs as mt
from scigan.domains.sequences.data import motif_truth
from scigan.domains.sequences.encoding import one_hot


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="an autoencoder option, as scigan train --set (repeatable)")  # fmt: skip
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    # values stay text: the encoder reads each autoencoder option as its number type
    options = dict(item.split("=", 1) for item in args.set)
    domain = SequencesDomain()
    cfg = Synthesizer(domain="sequences", seed=args.seed, threads=args.threads,
                      options=options).resolve_config("motif")  # fmt: skip
    dataset = domain.load("motif", options=cfg.options, seed=args.seed)
    encoder = domain.make_encoder(cfg)
    start = time.time()
    encoder.fit(dataset)
    minutes = (time.time() - start) / 60
    model = encoder._model()
    val = [str(s) for s in domain.selection_reference(dataset).samples]
    info = dataset.info
    motif = mt.load_motif(info["motifs"][0])
    length, threshold, width = int(info["max_len"]), float(info["threshold"]), motif.width
    banned = torch.arange(3 + len(encoder.alphabet_)) < 3
    letters = np.frombuffer(("\0\0\0" + encoder.alphabet_).encode("latin-1"), dtype=np.uint8)

    def hits(seqs: list[str]) -> float:
        return float((mt.scan(one_hot(seqs, "ACGT", length), motif)[0] >= threshold).mean())

    def decode(z: torch.Tensor, temperature: float, seed: int) -> list[str]:
        torch.manual_seed(seed)
        ids = model.generate(z, length, temperature=temperature, banned=banned).numpy()
        return [letters[r[:length]].tobytes().decode("latin-1") for r in ids]

    ids = torch.as_tensor(encoder.ids(val))
    z = encode_batches(model, ids.numpy())
    torch.manual_seed(args.seed + 1)
    prior = torch.randn(len(val), z.shape[1])
    out = {
        "options": options,
        "seed": args.seed,
        "autoencoder_minutes": round(minutes, 2),
        "true_hit_fraction": motif_truth(info)[0][0],
        "validation_hits": hits(val),
        "reconstruction_hits_T1": hits(decode(z, 1.0, args.seed)),
        "reconstruction_hits_T0.9": hits(decode(z, 0.9, args.seed)),
        "prior_hits_T1": hits(decode(prior, 1.0, args.seed)),
    }
    tokens = ids[:, :length]
    with torch.no_grad():
        logp = {
            name: torch.log_softmax(
                model.decode_logits(code, ids).masked_fill(banned, float("-inf")), -1
            )[:, :length]
            .gather(2, tokens[..., None])[..., 0]
            .numpy()
            for name, code in (("posterior", z), ("zero", torch.zeros_like(z)))
        }
        nats = F.cross_entropy(
            model.decode_logits(z, ids)
            .masked_fill(banned, float("-inf"))[:, :length]
            .flatten(0, 1),
            tokens.flatten(),
            reduction="sum",
        )
    out["reconstruction_nats_per_sequence"] = round(float(nats) / len(val), 2)
    score, pos = mt.scan(one_hot(val, "ACGT", length), motif)
    rows = np.flatnonzero(score >= threshold)
    bases = tokens.numpy() - 3
    with np.errstate(divide="ignore"):
        pwm = np.log(motif.probabilities)
    table = []
    for j in range(width):
        at = pos[rows] + j
        table.append({
            "offset": j,
            "decoder_posterior": round(float(logp["posterior"][rows, at].mean()), 3),
            "decoder_zero_code": round(float(logp["zero"][rows, at].mean()), 3),
            "motif": round(float(pwm[bases[rows, at], j].mean()), 3),
        })  # fmt: skip
    out["site_log_probability"] = table
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
