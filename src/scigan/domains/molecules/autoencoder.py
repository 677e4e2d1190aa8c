"""The sequence autoencoder behind the latent GAN (LatentGAN, Prykhodko et al. 2019).

A GRU encoder maps a token sequence to a bounded code ``z = tanh(W h_T)`` (B, Z); a GRU decoder
conditioned on ``z`` (initial state and an input at every step) reconstructs the sequence with
teacher forcing. Gaussian noise (σ = ``noise``) on ``z`` during training makes nearby codes decode
to similar molecules, which is what lets a GAN sample the latent space. Trained once per
(data, settings) and cached as safetensors under ``~/.cache/scigan/molecules/``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class AEConfig:
    """Autoencoder sizes and its (separate) training budget."""

    vocab: int
    length: int
    latent: int = 128
    embed: int = 32
    hidden: int = 512
    decoder: str = "mlp"
    steps: int = 6000
    batch: int = 256
    lr: float = 2e-3
    noise: float = 0.1
    max_minutes: float = 0.0  # stop earlier after this wall time (0 = steps only)

    def __post_init__(self) -> None:
        if self.decoder not in ("mlp", "gru"):
            raise ValueError(f"decoder={self.decoder!r} must be mlp or gru")

    def key(self, data_hash: str, seed: int) -> str:
        cfg = {k: v for k, v in asdict(self).items() if k != "max_minutes"}
        text = json.dumps({"cfg": cfg, "data": data_hash, "seed": seed}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class SequenceAutoencoder(nn.Module):
    """tokens (B, L) → z (B, Z) → logits (B, L, V).

    Encoder: an MLP over the flattened token embeddings (B, L·E). Decoder ``mlp`` (default):
    z → MLP → all L positions at once — ~20× faster than a GRU on CPU, so the autoencoder sees
    several epochs in the time budget; ``gru``: an autoregressive GRU conditioned on z.
    """

    def __init__(self, cfg: AEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        self.embed = nn.Embedding(cfg.vocab, cfg.embed, padding_idx=0)
        self.enc = nn.Sequential(
            nn.Linear(cfg.length * cfg.embed, 2 * h), nn.LayerNorm(2 * h), nn.GELU(),
            nn.Linear(2 * h, h), nn.LayerNorm(h), nn.GELU(),
        )  # fmt: skip
        self.to_z = nn.Linear(h, cfg.latent)
        if cfg.decoder == "mlp":
            self.dec = nn.Sequential(
                nn.Linear(cfg.latent, 2 * h), nn.LayerNorm(2 * h), nn.GELU(),
                nn.Linear(2 * h, 4 * h), nn.LayerNorm(4 * h), nn.GELU(),
                nn.Linear(4 * h, cfg.length * cfg.vocab),
            )  # fmt: skip
        else:
            self.from_z = nn.Linear(cfg.latent, h)
            self.gru = nn.GRU(cfg.embed + cfg.latent, h, batch_first=True)
            self.out = nn.Linear(h, cfg.vocab)

    def encode(self, ids: Tensor) -> Tensor:
        """(B, L) int64 → (B, Z) in (−1, 1)."""
        return torch.tanh(self.to_z(self.enc(self.embed(ids).flatten(1))))

    def decode_logits(self, z: Tensor, ids: Tensor) -> Tensor:
        """Logits (B, L, V); the GRU decoder reads ``<bos>, x_1 … x_{L-1}`` (teacher forcing)."""
        if self.cfg.decoder == "mlp":
            return self.dec(z).view(len(z), self.cfg.length, self.cfg.vocab)
        bos = torch.full((len(ids), 1), 1, dtype=ids.dtype)
        inp = self.embed(torch.cat([bos, ids[:, :-1]], dim=1))  # (B, L, E)
        inp = torch.cat([inp, z.unsqueeze(1).expand(-1, ids.shape[1], -1)], dim=2)
        y, _ = self.gru(inp, torch.tanh(self.from_z(z)).unsqueeze(0))
        return self.out(y)

    @torch.no_grad()
    def greedy(self, z: Tensor, length: int) -> Tensor:
        """z (B, Z) → token ids (B, length): argmax per position (read up to ``<eos>``)."""
        if self.cfg.decoder == "mlp":
            return self.decode_logits(z, None).argmax(dim=2)
        h = torch.tanh(self.from_z(z)).unsqueeze(0)
        tok = torch.full((len(z), 1), 1, dtype=torch.long)
        out = []
        for _ in range(length):
            y, h = self.gru(torch.cat([self.embed(tok), z.unsqueeze(1)], dim=2), h)
            tok = self.out(y).argmax(dim=2)  # (B, 1)
            out.append(tok)
        return torch.cat(out, dim=1)


def reconstruction_loss(model: SequenceAutoencoder, ids: Tensor, noise: float) -> Tensor:
    """Token cross-entropy up to and including ``<eos>`` (padding after it is ignored)."""
    z = model.encode(ids)
    if noise > 0:
        z = z + noise * torch.randn_like(z)
    logits = model.decode_logits(z, ids)
    target = ids.masked_fill(_after_eos(ids), -100)
    return F.cross_entropy(logits.transpose(1, 2), target, ignore_index=-100)


def _after_eos(ids: Tensor) -> Tensor:
    """Mask of positions strictly after the first ``<eos>`` (id 2)."""
    seen = (ids == 2).long().cumsum(dim=1)
    return (seen - (ids == 2).long()) > 0


def train_autoencoder(
    ids: np.ndarray, cfg: AEConfig, *, seed: int, log=None
) -> tuple[SequenceAutoencoder, dict]:
    """Adam on random minibatches of ``ids`` (N, L); returns the model and a training summary."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SequenceAutoencoder(cfg)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        data = torch.from_numpy(ids)
        t0, step, loss_avg = time.perf_counter(), 0, None
        for step in range(1, cfg.steps + 1):
            lr = cfg.lr * min(1.0, 0.5 * (1 + np.cos(np.pi * step / cfg.steps)) + 0.05)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = torch.randint(len(data), (cfg.batch,), generator=gen)
            loss = reconstruction_loss(model, data[idx], cfg.noise)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
            elapsed = time.perf_counter() - t0
            if log is not None and step % 100 == 0:
                log({"kind": "autoencoder", "step": step, "loss": loss_avg, "elapsed_s": elapsed})
            if cfg.max_minutes and elapsed > 60 * cfg.max_minutes:
                break
    model.eval()
    return model, {"steps": step, "loss": loss_avg, "seconds": time.perf_counter() - t0}


@torch.no_grad()
def encode_batches(model: SequenceAutoencoder, ids: np.ndarray, batch: int = 1024) -> Tensor:
    data = torch.from_numpy(ids)
    return torch.cat([model.encode(data[i : i + batch]) for i in range(0, len(data), batch)])


@torch.no_grad()
def reconstruction_accuracy(model: SequenceAutoencoder, ids: np.ndarray) -> float:
    """Fraction of sequences decoded exactly (greedy, from the noise-free code)."""
    data = torch.from_numpy(ids)
    out = model.greedy(model.encode(data), ids.shape[1])
    mask = ~_after_eos(data)
    return float(((out == data) | ~mask).all(dim=1).float().mean())
