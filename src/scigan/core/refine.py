"""Discriminator rejection sampling: correct a trained generator with a density-ratio classifier.

A GAN's generator G rarely matches the data exactly. After training, a fresh classifier
``c(x)`` is fitted (binary cross-entropy, equal numbers of real and generated tensors, early
stopping on a held-out tenth) to tell the training tensors from G's. At its optimum
``c(x) = log p_data(x) − log p_G(x)``, so accepting a draw of G with probability

    a(x) = min(1, exp(c(x) − cap))

gives samples from p_G · exp(c) ∝ p_data wherever ``c(x) ≤ cap`` (rejection sampling; Azadi et
al. 2019, "Discriminator Rejection Sampling", ICLR, Eq. 3–4). ``cap`` is a high quantile of
``c`` over G's own draws rather than the maximum (the paper's γ shift): the few draws above it
are accepted without preference, which bounds the cost (about e^(cap − c) draws per sample) and
keeps one outlier logit from starving the sampler.

The classifier is new rather than the trained critic, because a WGAN or hinge critic is not
a calibrated log ratio (its output is only defined up to the loss's own scale). It reads
``[x, condition]`` for conditional models, so each row keeps its condition: rows are drawn
again, with their own condition, until accepted.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import torch
from sklearn.metrics import roc_auc_score
from torch import Tensor, nn

from scigan.errors import TrainingDivergedError

# a row still rejected after this many rounds takes its last draw (and a warning says so)
MAX_ROUNDS = 200


class DensityRatio(nn.Module):
    """x (B, D) [+ condition (B, C)] → logit (B,) ≈ log p_data(x) − log p_G(x).

    An MLP on standardised inputs (the mean and scale of the real tensors are buffers, so the
    module is self-contained in a checkpoint).
    """

    def __init__(self, dim: int, width: int = 256, depth: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.SiLU()]
            d = width
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))
        self.register_buffer("cap", torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return self.net((x - self.shift) / self.scale).squeeze(1)

    @torch.no_grad()
    def logits(self, x: Tensor, batch: int = 8192) -> Tensor:
        return torch.cat([self(x[i : i + batch]) for i in range(0, len(x), batch)])

    @torch.no_grad()
    def accept_probability(self, x: Tensor) -> Tensor:
        """a(x) = min(1, exp(c(x) − cap)), (B,)."""
        return torch.exp((self.logits(x) - self.cap).clamp(max=0.0))

    @classmethod
    def from_tensors(cls, tensors: dict[str, Tensor]) -> DensityRatio:
        """Rebuild from a state dict (sizes read from the weight shapes)."""
        linear = sorted(
            (k for k in tensors if k.startswith("net.") and k.endswith(".weight")),
            key=lambda k: int(k.split(".")[1]),
        )
        width = int(tensors[linear[0]].shape[0])
        model = cls(int(tensors["shift"].numel()), width, len(linear) - 1)
        model.load_state_dict(tensors)
        return model.eval()


def fit_density_ratio(
    real: Tensor,
    fake: Tensor,
    *,
    seed: int,
    quantile: float = 0.95,
    width: int = 256,
    depth: int = 3,
    max_epochs: int = 30,
    patience: int = 3,
    batch: int = 1024,
    lr: float = 1e-3,
) -> tuple[DensityRatio, dict[str, float]]:
    """Fit :class:`DensityRatio` to tell ``real`` (N, D) from ``fake`` (M, D).

    Equal class sizes (the larger set is cut to the smaller), a seeded tenth of each held out;
    Adam on the binary cross-entropy, stopped when the held-out loss has not improved for
    ``patience`` epochs (the best epoch's weights are kept). ``cap`` is the ``quantile`` of the
    logits of the held-out generated tensors.

    Returns:
        the classifier (eval mode) and a summary: held-out loss (log 2 = no better than chance),
        ROC-AUC (0.5 = G indistinguishable from the data), epochs, seconds, the expected
        acceptance rate of G's draws and the effective sample fraction.
    """
    if not 0.5 <= quantile <= 1.0:
        raise ValueError(f"quantile={quantile} must be in [0.5, 1]")
    t0 = time.perf_counter()
    real, fake = real.float().flatten(1), fake.float().flatten(1)
    n = min(len(real), len(fake))
    if n < 20:
        raise ValueError(f"need at least 20 real and generated rows, got {len(real)}/{len(fake)}")
    gen = torch.Generator().manual_seed(seed)
    real = real[torch.randperm(len(real), generator=gen)[:n]]
    fake = fake[torch.randperm(len(fake), generator=gen)[:n]]
    n_val = max(n // 10, 1)
    x_tr = torch.cat([real[n_val:], fake[n_val:]])
    y_tr = torch.cat([torch.ones(n - n_val), torch.zeros(n - n_val)])
    x_va = torch.cat([real[:n_val], fake[:n_val]])
    y_va = torch.cat([torch.ones(n_val), torch.zeros(n_val)])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DensityRatio(real.shape[1], width, depth)
    model.shift.copy_(real.mean(0))
    model.scale.copy_(real.std(0).clamp_min(1e-6))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, stale, epochs = math.inf, None, 0, 0
    for epoch in range(1, max_epochs + 1):
        epochs = epoch
        model.train()
        order = torch.randperm(len(x_tr), generator=gen)
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            loss = loss_fn(model(x_tr[idx]), y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        val = float(loss_fn(model.logits(x_va), y_va))
        if val < best - 1e-4:
            best, stale = val, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= patience:
                break
    if best_state is None:  # the held-out loss was never finite
        raise TrainingDivergedError(
            "the rejection-sampling classifier's loss was never finite; the trained model is "
            "saved without it — sample it as is, or retrain without --drs"
        )
    model.load_state_dict(best_state)
    model.eval()
    s_va = model.logits(x_va)
    fake_logits = s_va[n_val:]
    model.cap.fill_(float(torch.quantile(fake_logits, quantile)))
    w = torch.exp((fake_logits - model.cap).clamp(max=0.0))  # acceptance of each draw
    info = {
        "n": n,
        "val_loss": best,
        "val_auc": float(roc_auc_score(y_va.numpy(), s_va.numpy())),
        "epochs": epochs,
        "quantile": quantile,
        "cap": float(model.cap),
        "acceptance": float(w.mean()),
        # Kish's effective sample size of the importance weights, as a fraction of the draws
        "effective_fraction": float(w.sum() ** 2 / (w.square().sum() * len(w))),
        "seconds": time.perf_counter() - t0,
    }
    return model, info


def rejection_sample(
    draw: Callable[[Tensor], Tensor],
    ratio: DensityRatio,
    rows: int,
    *,
    condition: Tensor | None = None,
    chunk: int = 4096,
) -> tuple[Tensor, int]:
    """``rows`` accepted draws of G, row i drawn until accepted (with its own condition).

    Args:
        draw: row indices (B,) → G's tensors (B, D) for those rows (fresh z each call, drawn
            from torch's global generator; the caller seeds it).
        ratio: the fitted classifier.
        rows: how many samples.
        condition: (rows, C) conditions read by the classifier beside x, or None.
        chunk: rows drawn per call.

    Returns:
        (rows, D) accepted samples and the number of draws it took.
    """
    out: Tensor | None = None
    pending = torch.arange(rows)
    draws = 0
    for _ in range(MAX_ROUNDS):
        still = []
        for i in range(0, len(pending), chunk):
            idx = pending[i : i + chunk]
            x = draw(idx)
            if out is None:
                out = torch.empty((rows, *x.shape[1:]), dtype=x.dtype)
            feats = (
                x.flatten(1)
                if condition is None
                else torch.cat([x.flatten(1), condition[idx]], dim=1)
            )
            keep = torch.rand(len(idx)) < ratio.accept_probability(feats.float())
            out[idx] = x  # the last draw stands until a later one is accepted
            draws += len(idx)
            still.append(idx[~keep])
        pending = torch.cat(still)
        if not len(pending):
            return out, draws
    warnings.warn(
        f"rejection sampling: {len(pending)} of {rows} rows were still rejected after "
        f"{MAX_ROUNDS} draws each and keep their last draw; a lower drs_quantile accepts more",
        RuntimeWarning,
        stacklevel=2,
    )
    return out, draws


@torch.no_grad()
def draw_generator(G: nn.Module, z_dim: int, cond: Tensor | None, rows: int) -> Tensor:
    """``rows`` draws of G in eval mode, on the CPU (z from torch's global generator; row i
    reads cond[i]); G's training flag is restored."""
    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    out = []
    for i in range(0, rows, 8192):
        z = torch.randn(min(8192, rows - i), z_dim)
        c = None if cond is None else cond[i : i + len(z)].to(device)
        out.append(G(z.to(device), c).cpu())
    G.train(was_training)
    return torch.cat(out)


def fit_generator_ratio(
    G: nn.Module,
    data: Tensor,
    cond: Tensor | None,
    z_dim: int,
    *,
    seed: int,
    quantile: float,
    max_rows: int = 500_000,
) -> tuple[DensityRatio, dict[str, float]]:
    """The classifier of G's draws against the training tensors ``data`` (N, ...).

    G draws as many rows as there are training rows (at most ``max_rows``), each with the
    condition of a training row, so that the classifier compares (x, c) pairs with the same
    condition distribution. Randomness is isolated (``fork_rng``) and fixed by ``seed``.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        idx = torch.randperm(len(data))[:max_rows]
        c = None if cond is None else cond[idx]
        fake = draw_generator(G, z_dim, c, len(idx))
        real = data[idx].float().flatten(1)
        fake = fake.float().flatten(1)
        if c is not None:
            real, fake = torch.cat([real, c], dim=1), torch.cat([fake, c], dim=1)
        return fit_density_ratio(real, fake, seed=seed, quantile=quantile)
