"""Where a latent sequence GAN's 6-mer excess comes from: the GAN's codes or the decoder.

Scores, on the run's **validation** part (never the test part), the 6-mer JSD of N sequences
drawn several ways, each over ``--draws`` draws (mean ± standard error):

* ``floor``: N training sequences; ``markov5``: an order-5 chain fitted to the train part;
* ``gan``: the run's samples (GAN codes, adapted decoder; what ``scigan sample`` gives);
* ``gan codes + autoencoder decoder``: the same codes read by the autoencoder's own decoder;
* ``posterior means + adapted decoder`` and ``posterior draws + autoencoder decoder``: codes of
  real training sequences instead of the GAN's;
* with ``--calibrate R``: the run's samples after R rounds of a per-context correction of the
  adapted decoder's n-gram table toward the chain's conditionals (the decoder's own conditional
  probabilities averaged per order-k context over ``--calibrate-n`` generated sequences).

    python benchmarks/sequences_decoder_probe.py RUN [--n 2000] [--draws 8] [--calibrate 1]
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import torch

from scigan import Synthesizer
from scigan.domains.latent import decoder_inputs, ngram_contexts
from scigan.domains.sequences import SequencesDomain
from scigan.domains.sequences.markov import MarkovChain
from scigan.domains.sequences.metrics import jsd, kmer_counts


@torch.no_grad()
def calibration(model, codes: torch.Tensor, temperature: float, banned, length: int, seed: int):
    """log p_chain(x | ctx) − log p̄_model(x | ctx) × T per order-k context seen ≥ 50 times."""
    k, v = model.cfg.ngram, model.cfg.vocab
    torch.manual_seed(seed)
    total = torch.zeros(v**k, v, dtype=torch.float64)
    count = torch.zeros(v**k, dtype=torch.float64)
    for i in range(0, len(codes), 1000):
        z = codes[i : i + 1000]
        ids = model.generate(z, length, temperature=temperature, banned=banned)
        full = torch.cat([ids, torch.full((len(ids), 1), 2)], dim=1)  # + <eos>
        logits = model.decode_logits(z, full)[:, :length].masked_fill(banned, float("-inf"))
        p = torch.softmax(logits / temperature, dim=2).double()
        ctx = ngram_contexts(decoder_inputs(full), k, v)[:, :length].flatten()
        total.index_add_(0, ctx, p.flatten(0, 1))
        count.index_add_(0, ctx, torch.ones(len(ctx), dtype=torch.float64))
    target = torch.softmax(model.ngram.double().masked_fill(banned, float("-inf")), dim=1)
    mean = total / count.clamp_min(1)[:, None]
    ok = (count >= 50)[:, None] & ~banned[None, :]
    shift = torch.zeros_like(total)
    shift[ok] = target[ok].log() - mean[ok].clamp_min(1e-12).log()
    return (temperature * shift).float(), float(shift[ok].abs().mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run", help="a latent-GAN run folder of fixed-length DNA (scigan train --out)")
    p.add_argument("--n", type=int, default=2000, help="sequences per draw and reference size")
    p.add_argument("--draws", type=int, default=8)
    p.add_argument("--calibrate", type=int, default=0, help="rounds of the n-gram correction")
    p.add_argument("--calibrate-n", type=int, default=8000)
    args = p.parse_args()
    torch.set_num_threads(1)
    gan = Synthesizer.load(args.run)
    domain = SequencesDomain()
    ds = domain.load(gan.config_.data, options=gan.config_.options, seed=gan.config_.seed)
    held, train = list(domain.selection_reference(ds).samples), list(ds.samples)
    enc = gan.encoder_
    alphabet, n, length = enc.alphabet_, args.n, enc.max_len_
    ref = [held[i] for i in np.random.default_rng(5).permutation(len(held))[:n]]
    ref_counts = kmer_counts(ref, alphabet, 6)
    ae, adapted, temperature = enc._model(), enc.decoder_, enc.adapt_temperature
    banned = torch.arange(3 + len(alphabet)) < 3
    captured = {}
    decode = enc.decode

    def grab(x):
        captured["x"] = x.detach().clone()
        return decode(x)

    enc.decode = grab

    def draw(model, codes, seed):
        torch.manual_seed(seed)
        return enc._strings(enc._generate_ids(model, codes, temperature, length=length,
                                              banned=banned))  # fmt: skip

    calibrated = None
    if args.calibrate:
        gan.sample(args.calibrate_n, seed=999)
        codes = enc.to_codes(captured["x"])
        calibrated = copy.deepcopy(adapted)
        for r in range(args.calibrate):
            shift, size = calibration(calibrated, codes, temperature, banned, length, seed=r)
            calibrated.ngram += shift
            print(f"calibration round {r + 1}: mean |log-ratio| {size:.4f}")
    chain = MarkovChain(alphabet, 5).fit(train)
    rows: dict[str, list[float]] = {}

    def score(name, seqs):
        rows.setdefault(name, []).append(jsd(kmer_counts(seqs, alphabet, 6), ref_counts))

    for d in range(args.draws):
        rng = np.random.default_rng(1000 + d)
        score("floor (training sequences)", [train[i] for i in rng.choice(len(train), n, False)])
        score("markov5", chain.sample(n, seed=40 + d))
        enc.decoder_ = adapted
        score("gan (shipped sampling)", gan.sample(n, seed=10 + d))
        codes = enc.to_codes(captured["x"])
        score("gan codes + autoencoder decoder", draw(ae, codes, 70 + d))
        real = [train[i] for i in rng.choice(len(train), n, False)]
        with torch.no_grad():
            mu, logvar = ae.posterior(torch.from_numpy(enc.ids(real)))
        score("posterior means + adapted decoder", draw(adapted, mu, 80 + d))
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        score("posterior draws + autoencoder decoder", draw(ae, z, 90 + d))
        if calibrated is not None:
            enc.decoder_ = calibrated
            score(f"gan, decoder calibrated ({args.calibrate} rounds)", gan.sample(n, seed=10 + d))
    floor = np.mean(rows["floor (training sequences)"])
    print(f"\n{args.run}: validation part, N = {n}, {args.draws} draws, T = {temperature:g}\n")
    print("| codes and decoder | 6-mer JSD (mean ± se) | / floor |")
    print("|---|---|---|")
    for name, v in rows.items():
        se = np.std(v) / np.sqrt(len(v))
        print(f"| {name} | {np.mean(v):.5f} ± {se:.5f} | {np.mean(v) / floor:.3f} |")


if __name__ == "__main__":
    main()
