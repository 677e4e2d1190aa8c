"""Building blocks the domains share: output spans, MLP and convolutional G/D, conditioning.

Generators are called ``G(z, cond) -> x`` and discriminators ``D(x, cond) -> (B,)``; ``cond`` is
``None`` for unconditional models or a float tensor ``(B, C)``.

The convolutional G and D (:class:`ConvGenerator`, :class:`ConvDiscriminator`) serve 2-D
(C, H, W) and 1-D (C, L) arrays: physics fields and time series (``fields``) and Cα distance
maps (``proteins``). DCGAN-shaped (Radford et al. 2016) with pre-activation residual blocks
(Miyato et al. 2018, SNGAN ResNet). Every spatial axis is padded either circularly (periodic
lattices and fields: the networks then have no edges, like the physics) or with zeros. Axes
are halved while their size is even and above 4, so 32×32 uses three stages, 16×9 (angle ×
radius) two stages on the angle only, and 64 one stage per halving down to 4.

G injects per-pixel noise after every upsampling (StyleGAN-style) for local randomness.
Conditioning: G concatenates an embedding of the condition to z and adds a per-block channel
bias from it; D uses a projection head (Miyato & Koyama 2018) on an embedding of the
condition. D has no BatchNorm (spectral norm via ``--spectral-norm``); ``--minibatch-std``
compares samples of the same condition in conditional models, and ``--pac`` packs samples
as in the MLP discriminator. D can also read physical observables of its input
(:func:`observables`: Ising energy and magnetisation, a radial power spectrum).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Activation = Literal["identity", "tanh", "sigmoid", "softplus", "softmax", "gumbel"]
ACTIVATIONS: tuple[str, ...] = ("identity", "tanh", "sigmoid", "softplus", "softmax", "gumbel")


@dataclass(frozen=True)
class OutputSpan:
    """One block of the generator's (flat) output: ``dim`` columns with one activation.

    The same contract serves continuous columns (tanh/identity), one-hot categories
    (softmax/gumbel), sequence positions and tokens (CTGAN's SpanInfo idea).
    """

    dim: int
    activation: Activation

    def __post_init__(self) -> None:
        if self.dim < 1 or self.activation not in ACTIVATIONS:
            raise ValueError(f"bad OutputSpan({self.dim}, {self.activation!r})")


def apply_spans(x: Tensor, spans: Sequence[OutputSpan], *, tau: float = 0.2) -> Tensor:
    """Apply each span's activation to its slice of ``x`` (B, sum(dims)) → same shape."""
    parts, start = [], 0
    for span in spans:
        h = x[:, start : start + span.dim]
        start += span.dim
        if span.activation == "tanh":
            h = torch.tanh(h)
        elif span.activation == "sigmoid":
            h = torch.sigmoid(h)
        elif span.activation == "softplus":
            h = F.softplus(h)
        elif span.activation == "softmax":
            h = torch.softmax(h, dim=1)
        elif span.activation == "gumbel":
            h = F.gumbel_softmax(h, tau=tau, hard=False, dim=1)
        parts.append(h)
    if start != x.shape[1]:
        raise ValueError(f"spans cover {start} columns but the output has {x.shape[1]}")
    return torch.cat(parts, dim=1)


def maybe_sn(layer: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) when enabled."""
    return nn.utils.parametrizations.spectral_norm(layer) if enabled else layer


class ResidualMLPBlock(nn.Module):
    """x + W2 act(W1 act(x)) — pre-activation residual block for MLPs."""

    def __init__(self, width: int, *, sn: bool = False, norm: bool = False) -> None:
        super().__init__()
        self.fc1 = maybe_sn(nn.Linear(width, width), sn)
        self.fc2 = maybe_sn(nn.Linear(width, width), sn)
        self.norm1 = nn.LayerNorm(width) if norm else nn.Identity()
        self.norm2 = nn.LayerNorm(width) if norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = self.fc1(F.leaky_relu(self.norm1(x), 0.2))
        h = self.fc2(F.leaky_relu(self.norm2(h), 0.2))
        return x + h


class MixtureLatent(nn.Module):
    """Gaussian z (B, Z) → [one-hot(argmax z[:, :K]), z[:, K:]] — a K-component mixture prior.

    The argmax of K i.i.d. Gaussians is uniform over K, so the engine's contract (z ~ N(0, I))
    is unchanged while G gets a discrete code it can map to disconnected modes without
    continuous "bridges" between them (Ben-Yosef & Weinshall 2018, Gaussian-mixture GANs).
    """

    def __init__(self, components: int) -> None:
        super().__init__()
        self.k = components

    def forward(self, z: Tensor) -> Tensor:
        if self.k == 0:
            return z
        code = F.one_hot(z[:, : self.k].argmax(dim=1), self.k).to(z.dtype)
        return torch.cat([code, z[:, self.k :]], dim=1)


class MLPGenerator(nn.Module):
    """z (B, Z) [+ cond (B, C) concatenated] → MLP → span activations → (B, sum(spans)).

    ``latent_modes`` K > 0 turns the first K latent dimensions into a uniform categorical
    code (:class:`MixtureLatent`); ``z_dim`` must then exceed K.
    """

    def __init__(
        self,
        z_dim: int,
        spans: Sequence[OutputSpan],
        *,
        cond_dim: int = 0,
        width: int = 256,
        depth: int = 3,
        latent_modes: int = 0,
    ) -> None:
        super().__init__()
        if latent_modes and z_dim <= latent_modes:
            raise ValueError(f"z_dim ({z_dim}) must exceed latent_modes ({latent_modes})")
        self.z_dim, self.cond_dim, self.spans = z_dim, cond_dim, tuple(spans)
        out_dim = sum(s.dim for s in spans)
        self.latent = MixtureLatent(latent_modes)
        self.inp = nn.Linear(z_dim + cond_dim, width)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(width, norm=True) for _ in range(depth)])
        self.out = nn.Linear(width, out_dim)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        z = self.latent(z)
        h = z if cond is None else torch.cat([z, cond], dim=1)
        h = self.blocks(self.inp(h))
        return apply_spans(self.out(F.leaky_relu(h, 0.2)), self.spans)


class ProjectionHead(nn.Module):
    """Projection discriminator output (Miyato & Koyama 2018): ψ(h) + <embed(c), h>."""

    def __init__(self, width: int, cond_dim: int, *, sn: bool = False) -> None:
        super().__init__()
        self.linear = maybe_sn(nn.Linear(width, 1), sn)
        self.embed = maybe_sn(nn.Linear(cond_dim, width, bias=False), sn) if cond_dim else None

    def forward(self, h: Tensor, cond: Tensor | None) -> Tensor:
        out = self.linear(h).squeeze(1)  # (B,)
        if self.embed is not None:
            if cond is None:
                raise ValueError("this discriminator is conditional: pass a condition tensor")
            out = out + (self.embed(cond) * h).sum(1)
        return out


class MinibatchStd(nn.Module):
    """Append the mean feature standard deviation over groups of samples (Karras et al. 2018).

    (B, F) → (B, F + 1). Groups are consecutive samples, so a batch of real samples followed by
    fakes (one D pass) never mixes the two when the batch size is a multiple of ``group``. A
    collapsed generator produces tiny within-group spread, which D can then see directly.
    """

    def __init__(self, group: int = 4) -> None:
        super().__init__()
        self.group = group

    def forward(self, h: Tensor) -> Tensor:
        b = len(h)
        g = self.group if b % self.group == 0 else b
        y = h.reshape(b // g, g, -1)  # (B/G, G, F): groups of consecutive samples
        std = (y.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=1)  # (B/G,)
        return torch.cat([h, std.repeat_interleave(g).unsqueeze(1)], dim=1)


class MLPDiscriminator(nn.Module):
    """x (B, D) → residual MLP (no BatchNorm: safe under DDP and gradient penalties) → (B,).

    ``pac`` > 1 packs that many samples into one critic input (PacGAN, Lin et al. 2018), which
    penalises mode collapse; the batch size must then be a multiple of ``pac``.
    """

    def __init__(
        self,
        in_dim: int,
        *,
        cond_dim: int = 0,
        width: int = 256,
        depth: int = 3,
        sn: bool = False,
        pac: int = 1,
        minibatch_std: bool = False,
    ) -> None:
        super().__init__()
        self.pac = pac
        self.mbstd = MinibatchStd() if minibatch_std else None
        self.inp = maybe_sn(nn.Linear(in_dim * pac + int(minibatch_std), width), sn)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(width, sn=sn) for _ in range(depth)])
        self.head = ProjectionHead(width, cond_dim * pac, sn=sn)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        x = x.flatten(1)
        if self.pac > 1:
            x = x.reshape(len(x) // self.pac, -1)
            cond = None if cond is None else cond.reshape(len(cond) // self.pac, -1)
        if self.mbstd is not None:
            x = self.mbstd(x)
        h = F.leaky_relu(self.blocks(self.inp(x)), 0.2)
        out = self.head(h, cond)
        return out.repeat_interleave(self.pac) if self.pac > 1 else out


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ----------------------------------------------------------------------------- conv G and D
_EMBED = 64  # width of the condition embedding
_MAX_MULT = 8  # channels grow ×2 per stage up to 8 × width
_OBS = 32  # width of the observable-feature MLP
_BASE_NOISE = 16  # channels of the per-cell noise of an equivariant generator's base grid


def plan_stages(spatial: Sequence[int], max_stages: int = 4) -> tuple[list[list[int]], list[int]]:
    """Per-stage down/up factors (2 on axes that are even and > 4, else 1) and the base size."""
    sizes = list(spatial)
    stages: list[list[int]] = []
    while len(stages) < max_stages:
        f = [2 if s % 2 == 0 and s > 4 else 1 for s in sizes]
        if all(v == 1 for v in f):
            break
        stages.append(f)
        sizes = [s // v for s, v in zip(sizes, f, strict=True)]
    return stages, sizes


class AxisPad(nn.Module):
    """Pad each spatial axis by ``p``: circular where ``periodic``, zeros elsewhere."""

    def __init__(self, periodic: Sequence[bool], p: int = 1) -> None:
        super().__init__()
        self.periodic, self.p = tuple(periodic), p

    def forward(self, x: Tensor) -> Tensor:
        p = self.p
        for i, circ in enumerate(self.periodic):
            d = 2 + i
            n = x.shape[d]
            if circ:
                x = torch.cat([x.narrow(d, n - p, p), x, x.narrow(d, 0, p)], dim=d)
            else:
                pad_shape = list(x.shape)
                pad_shape[d] = p
                z = x.new_zeros(pad_shape)
                x = torch.cat([z, x, z], dim=d)
        return x


def _conv(cin: int, cout: int, k: int, periodic: Sequence[bool], sn: bool) -> nn.Module:
    conv_cls = nn.Conv2d if len(periodic) == 2 else nn.Conv1d
    conv = maybe_sn(conv_cls(cin, cout, k, padding=0), sn)
    return nn.Sequential(AxisPad(periodic, k // 2), conv) if k > 1 else conv


UPSAMPLE = ("nearest", "linear")


def _resize(
    x: Tensor,
    factors: Sequence[int],
    up: bool,
    mode: str = "nearest",
    periodic: Sequence[bool] = (),
) -> Tensor:
    """Up-sample by ``factors`` (``mode`` nearest, or linear / bilinear interpolation — wrapped
    round on the ``periodic`` axes) or average-pool down."""
    if all(f == 1 for f in factors):
        return x
    if up and mode == "linear":
        # pad one cell per side (circular where periodic, edge values elsewhere), interpolate
        # at pixel centres, crop the padding's image: on a periodic axis the result is the
        # interpolation of the wrapped signal, elsewhere the usual edge-clamped one
        pads = list(periodic) or [False] * (x.dim() - 2)
        for i, circ in enumerate(pads):
            d = 2 + i
            if factors[i] == 1:
                continue
            lo = x.narrow(d, x.shape[d] - 1, 1) if circ else x.narrow(d, 0, 1)
            hi = x.narrow(d, 0, 1) if circ else x.narrow(d, x.shape[d] - 1, 1)
            x = torch.cat([lo, x, hi], dim=d)
        inter = "linear" if x.dim() == 3 else "bilinear"
        y = F.interpolate(
            x, scale_factor=tuple(float(f) for f in factors), mode=inter, align_corners=False
        )
        for i, f in enumerate(factors):
            if f != 1:
                y = y.narrow(2 + i, f, y.shape[2 + i] - 2 * f)
        return y
    if up:
        return F.interpolate(x, scale_factor=tuple(float(f) for f in factors), mode="nearest")
    pool = F.avg_pool2d if x.dim() == 4 else F.avg_pool1d
    return pool(x, tuple(factors) if x.dim() == 4 else factors[0])


def random_shift(x: Tensor, periodic: Sequence[bool]) -> Tensor:
    """``x`` (B, C, *spatial) shifted circularly by a uniform random offset per sample along
    every periodic axis (offsets from torch's CPU stream, one axis after another)."""
    b = len(x)
    for i, circ in enumerate(periodic):
        if not circ:
            continue
        d, n = 2 + i, x.shape[2 + i]
        offset = torch.randint(n, (b, 1)).to(x.device)
        idx = (torch.arange(n, device=x.device).reshape(1, n) + offset) % n  # (B, n)
        view = [b] + [1] * (x.dim() - 1)
        view[d] = n
        x = x.gather(d, idx.reshape(view).expand_as(x))
    return x


class NoiseInjection(nn.Module):
    """h + s_c · ε with one N(0, 1) map ε per sample and a learned strength s_c per channel.

    Per-pixel noise (Karras et al. 2019, StyleGAN sec. 3.2) gives G local randomness that a
    global z can only produce through every upsampling layer — spin flips at high T, the
    high-k power of a random field. ε comes from torch's global generator, so sampling stays
    a deterministic function of the seed. s starts at 0 (the block starts noise-free).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(channels))

    def forward(self, h: Tensor) -> Tensor:
        # CPU generator on every device (the engine's rule), then moved
        eps = torch.randn(len(h), 1, *h.shape[2:], dtype=h.dtype).to(h.device)
        return h + self.strength.reshape(1, -1, *([1] * (h.dim() - 2))) * eps


def rfft_radius(size: int) -> Tensor:
    """(S, S // 2 + 1) integer |k| = round(√(k_x² + k_y²)) of each rfft2 mode of an S × S map
    (the radial bins of the power-spectrum metrics)."""
    ky = torch.fft.fftfreq(size) * size
    kx = torch.fft.rfftfreq(size) * size
    return torch.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2).round().long()


class SpectralNoise(nn.Module):
    """White noise filtered by a learned radial gain: irfft2(g(|k|) · rfft2(ε)) for square
    periodic maps (B, 1, S, S), one gain per integer |k| = 0 … ⌈S/√2⌉, starting at 0.

    Added to a generator's output, it lets G add power at every wavenumber independently (the
    powers of independent parts add), which up-sampling convolutions cannot: nearest
    up-sampling leaves dips at the periods of its blocks (a 64² map from a 4² grid: k = 2π/8,
    2π/4 and π; GRF seed 1: P ratio 0.78, 0.81 and 0.88 there). A Gaussian random field is
    exactly such filtered noise, so the gains alone can represent it.
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        k = rfft_radius(size)
        self.register_buffer("radius", k, persistent=False)
        self.size = size
        self.gain = nn.Parameter(torch.zeros(int(k.max()) + 1))

    def forward(self, n: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        eps = torch.randn(n, 1, self.size, self.size, dtype=dtype).to(device)
        spec = torch.fft.rfft2(eps, norm="ortho") * self.gain[self.radius]
        return torch.fft.irfft2(spec, s=(self.size, self.size), norm="ortho")


class SpectralFilter(nn.Module):
    """A learned radial filter on square periodic maps (B, C, S, S): irfft2(H(|k|) · rfft2(x)),
    one log-gain per integer |k| = 0 … ⌈S/√2⌉ (the power-spectrum bins of the metrics), H = 1
    at the start (the generator is unchanged until the gains move).

    Placed after G's last convolution it can raise or lower the power at every wavenumber,
    which the convolutions' up-sampling cannot do bin by bin (nearest up-sampling leaves dips
    at the periods of its blocks). The gains are parametrised as ``log H = GAIN_SCALE · θ`` so
    that Adam, which moves each θ by about the learning rate per step, can move a gain by a
    factor of e in ~100 steps at rate 1e-4 (it has to follow the network's power as the
    network trains); ``matching.SpectrumFilterPenalty`` trains them towards the training
    maps' mean power per bin. Opt-in (fields ``spectral_filter``), not adopted.
    """

    GAIN_SCALE = 100.0

    def __init__(self, size: int) -> None:
        super().__init__()
        k = rfft_radius(size)
        self.register_buffer("radius", k, persistent=False)
        self.size = size
        self.theta = nn.Parameter(torch.zeros(int(k.max()) + 1))

    def log_gain(self) -> Tensor:
        """(K,) log H per integer |k|."""
        return self.GAIN_SCALE * self.theta

    def forward(self, x: Tensor) -> Tensor:
        spec = torch.fft.rfft2(x, norm="ortho") * torch.exp(self.log_gain())[self.radius]
        return torch.fft.irfft2(spec, s=(self.size, self.size), norm="ortho")


def film(h: Tensor, gamma: Tensor) -> Tensor:
    """h · (1 + γ) per sample and channel, γ (B, C) (feature-wise linear modulation, Perez et
    al. 2018; the additive half is the block's condition bias)."""
    return h * (1.0 + gamma.reshape(len(h), -1, *([1] * (h.dim() - 2))))


def zero_linear(cin: int, cout: int) -> nn.Linear:
    """A linear map that starts at zero (a FiLM branch that starts as the identity)."""
    layer = nn.Linear(cin, cout)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class GBlock(nn.Module):
    """x → act → conv (cin→cout, low res) → up → (+ cond bias) → act → conv, plus skip.

    The channel-changing conv runs before upsampling, which halves the cost of the block.
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        factors: Sequence[int],
        periodic: Sequence[bool],
        emb: int,
        upsample: str = "nearest",
    ) -> None:
        super().__init__()
        self.factors = list(factors)
        self.upsample, self.periodic = upsample, list(periodic)
        self.conv1 = _conv(cin, cout, 3, periodic, False)
        self.conv2 = _conv(cout, cout, 3, periodic, False)
        self.skip = _conv(cin, cout, 1, periodic, False) if cin != cout else nn.Identity()
        self.bias = nn.Linear(emb, cout) if emb else None
        self.noise = NoiseInjection(cout)
        self.scale: nn.Linear | None = None  # FiLM's scale, added by ConvGenerator(film=True)

    def forward(self, x: Tensor, e: Tensor | None) -> Tensor:
        up = dict(up=True, mode=self.upsample, periodic=self.periodic)
        h = self.noise(_resize(self.conv1(F.leaky_relu(x, 0.2)), self.factors, **up))
        if self.bias is not None and e is not None:
            h = h + self.bias(e).reshape(len(h), -1, *([1] * (h.dim() - 2)))
        if self.scale is not None and e is not None:
            h = film(h, self.scale(e))
        h = self.conv2(F.leaky_relu(h, 0.2))
        return _resize(self.skip(x), self.factors, **up) + h


class DBlock(nn.Module):
    """x → act → conv (cin→cin) → pool → act → conv (cin→cout, low res), plus pooled skip."""

    def __init__(
        self, cin: int, cout: int, factors: Sequence[int], periodic: Sequence[bool], sn: bool
    ) -> None:
        super().__init__()
        self.factors = list(factors)
        self.conv1 = _conv(cin, cin, 3, periodic, sn)
        self.conv2 = _conv(cin, cout, 3, periodic, sn)
        self.skip = _conv(cin, cout, 1, periodic, sn) if cin != cout else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = _resize(self.conv1(F.leaky_relu(x, 0.2)), self.factors, up=False)
        h = self.conv2(F.leaky_relu(h, 0.2))
        return self.skip(_resize(x, self.factors, up=False)) + h


class ConditionalMinibatchStd(nn.Module):
    """Minibatch spread among samples with the same condition: (B, F), (B, C) → (B, F + 1).

    Plain minibatch-std (Karras et al. 2018) mixes conditions, so a generator that collapses
    *within* each condition (every T = 2 lattice alike) still looks diverse. Here sample i
    gets the weighted mean feature distance to the other members j of its group of ``group``
    consecutive samples, w_ij = exp(−|c_i − c_j|² / (2 · 0.25²)) on standardised conditions
    (same T → 1, neighbouring T → ≈ 0). Groups are consecutive, so with batches that are
    multiples of ``group`` real and fake samples never share a group.
    """

    def __init__(self, group: int = 8, bandwidth: float = 0.25) -> None:
        super().__init__()
        self.group, self.bandwidth = group, bandwidth

    def forward(self, h: Tensor, cond: Tensor) -> Tensor:
        b = len(h)
        g = next((k for k in (self.group, 4) if b % k == 0), b)
        y = h.reshape(b // g, g, -1)  # (B/G, G, F)
        c = cond.reshape(b // g, g, -1)  # (B/G, G, C)
        dist = (y[:, :, None] - y[:, None]).abs().mean(dim=3)  # (B/G, G, G)
        w = torch.exp(-((c[:, :, None] - c[:, None]) ** 2).sum(dim=3) / (2 * self.bandwidth**2))
        w = w * (1 - torch.eye(g, dtype=w.dtype, device=w.device))
        spread = (w * dist).sum(dim=2) / (w.sum(dim=2) + 1e-8)  # (B/G, G)
        return torch.cat([h, spread.reshape(b, 1)], dim=1)


def _channels(width: int, level: int) -> int:
    return width * min(2**level, _MAX_MULT)


class ConvGenerator(nn.Module):
    """G(z (B, Z), cond (B, C) | None) → (B, channels, *spatial).

    Args:
        z_dim: latent size.
        shape: output shape (C, H, W) or (C, L).
        cond_dim: width of the encoded condition (0 = unconditional).
        width: channels at half resolution (×2 per coarser stage, at most ×8).
        depth: residual blocks per stage (the first of each stage upsamples).
        periodic: circular padding per spatial axis.
        head: "spin" (±1 by a straight-through sign of tanh), "tanh" or "identity".
        symmetric: G(−z₀, z₁, …) = −G(z₀, z₁, …): the network sees |z₀| and its output is
            multiplied by sign(z₀) — an exact Z₂ (spin-flip) symmetry of the sampled
            distribution, as the Ising Hamiltonian without a field has.
        total: condition-aware energy head (calorimeter showers), the 7 numbers
            (mean, std, scale, cond_mean, cond_std, logr_mean, logr_std, cut) of
            :attr:`scigan.domains.arrays.ArrayEncoder.total_head`. G then generates the
            deposited fraction r = E_dep / E_inc as one number per sample (log r = t · logr_std
            + logr_mean, t from the pooled features and the condition) and rescales the voxel
            energies it draws at or above the decoding's sparsity cut (``cut``, in log(1 + E /
            scale)) so that they sum to r · E_inc; the incident energy E_inc = exp(c₀ ·
            cond_std + cond_mean) is read from the encoded condition. Voxels below the cut are
            left as drawn (the decoding zeroes them). With ``cut`` as well, the deposit is
            exact after the decoding: G's draws are log shares (softmax over the voxels), a
            voxel is lit when its share of r · E_inc reaches the threshold (the largest always
            is), and the lit ones share the deposit (:func:`exact_deposit`); D sees the unlit
            ones as the encoded zero. The output is in the encoder's space, (log(1 + E_voxel /
            scale) − mean) / std, so D and the decoding are unchanged.
        upsample: "nearest" (repeat each cell) or "linear" (linear / bilinear interpolation,
            wrapped round on periodic axes) between stages. Nearest up-sampling leaves
            images of the coarse spectrum at high frequency that the 3-tap convolutions only
            partly remove (telegraph series: spikes of 1.3–2.7× the real power at k = 11, 19
            of 64 and an autocorrelation 0.01–0.03 low at lags 2–9; fields README).
        film: conditional generators only: feature-wise modulation by the condition — each
            block's features after its noise map are scaled by 1 + γ(condition), and the
            full-resolution features after theirs are scaled and shifted — so that how much
            of the injected noise shows (an Ising lattice's spin flips) can depend on the
            condition; without it the condition only adds a bias per channel.
        equivariant: a generator without preferred positions, for fields whose distribution
            is translation invariant (periodic lattices, homogeneous maps). The coarsest grid
            is the same vector of (z, condition) features at every cell plus a 1×1
            convolution of per-cell noise (instead of one linear map from z to every cell,
            which gives each cell its own weights), and the output is shifted circularly by
            a random offset per sample on every periodic axis, so the sampled distribution is
            exactly invariant under lattice translations. The default generator, with
            nearest up-sampling, makes lattices whose bond correlations depend on the site's
            place in its 8 × 8 block (Ising at T = 2.5: 0.27 to 0.81 against a uniform 0.55).
        cut: (level, zero) in the encoded space: outputs below ``level`` become ``zero``
            in the forward pass, the identity in the backward pass (straight-through), so
            that D sees sparse energies as the decoding returns them — real empty voxels
            are one exact value, and without the cut G's empty voxels scatter below it.
        roll: only the random circular shift of the output on every periodic axis, for data
            whose distribution is invariant under rotation about an axis (a calorimeter
            shower's angle about the beam): each sample at a uniformly random rotation.
        full_depth: residual blocks (with their own noise maps) at full resolution, after the
            narrow full-resolution conv: room for single-site structure (0 = none).
        spectral_noise: square periodic single-channel maps: add :class:`SpectralNoise` (white
            noise through a learned radial filter, starting at zero) to the output before the
            head, so G sets the power at each wavenumber directly.
    """

    def __init__(
        self,
        z_dim: int,
        shape: Sequence[int],
        *,
        cond_dim: int = 0,
        width: int = 32,
        depth: int = 1,
        periodic: Sequence[bool] = (),
        head: str = "identity",
        symmetric: bool = False,
        total: Sequence[float] | None = None,
        cut: Sequence[float] | None = None,
        upsample: str = "nearest",
        film: bool = False,
        equivariant: bool = False,
        roll: bool = False,
        full_depth: int = 0,
        spectral_noise: bool = False,
        spectral_filter: bool = False,
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLE:
            raise ValueError(f"upsample={upsample!r}: choose one of {UPSAMPLE}")
        self.shape = tuple(shape)
        if total is not None and (not cond_dim or head != "identity" or len(total) != 8):
            raise ValueError("total needs a conditional generator, the identity head and 8 numbers")
        self.total = None if total is None else tuple(float(v) for v in total)
        self.cut = None if cut is None else (float(cut[0]), float(cut[1]))
        spatial = list(shape[1:])
        periodic = list(periodic) or [False] * len(spatial)
        stages, self.base = plan_stages(spatial)
        self.head, self.symmetric = head, symmetric
        self.upsample, self.periodic = upsample, periodic
        self.embed = (
            nn.Sequential(nn.Linear(cond_dim, _EMBED), nn.LeakyReLU(0.2), nn.Linear(_EMBED, _EMBED))
            if cond_dim
            else None
        )
        emb = _EMBED if cond_dim else 0
        # Residual stages run up to half resolution; the last upsampling feeds one output conv
        # (DCGAN's cheap full-resolution layer: the wide convolutions stay at low resolution).
        inner, self.last = stages[:-1], (stages[-1] if stages else [1] * len(spatial))
        ch = _channels(width, len(inner))
        self.ch0 = ch
        n_base = 1
        for s in self.base:
            n_base *= s
        self.equivariant = equivariant
        self.roll = roll
        self.base_noise: nn.Module | None = None
        if equivariant:
            self.inp = nn.Linear(z_dim + emb, ch)
            conv_cls = nn.Conv2d if len(spatial) == 2 else nn.Conv1d
            self.base_noise = conv_cls(_BASE_NOISE, ch, 1)
        else:
            self.inp = nn.Linear(z_dim + emb, ch * n_base)
        blocks = []
        for i, factors in enumerate(inner):
            cout = _channels(width, len(inner) - i - 1)
            for j in range(depth):
                f = factors if j == 0 else [1] * len(factors)
                blocks.append(GBlock(ch, cout, f, periodic, emb, upsample))
                ch = cout
        if not inner:
            blocks = [GBlock(ch, ch, [1] * len(spatial), periodic, emb) for _ in range(depth)]
        self.blocks = nn.ModuleList(blocks)
        # Full resolution: one narrow conv so that single-site detail (Ising bonds, pixel
        # noise) is not limited to what one 3×3 output conv can make of upsampled features.
        full = max(ch // 2, 8)
        self.full = _conv(ch, full, 3, periodic, False)
        self.full_noise = NoiseInjection(full)
        self.full_blocks = nn.ModuleList(
            GBlock(full, full, [1] * len(spatial), periodic, emb, upsample)
            for _ in range(full_depth)
        )
        self.out = _conv(full, shape[0], 3, periodic, False)
        self.spectral: SpectralNoise | None = None
        if spectral_noise:
            if len(spatial) != 2 or spatial[0] != spatial[1] or shape[0] != 1:
                raise ValueError("spectral_noise needs single-channel square maps (1, S, S)")
            self.spectral = SpectralNoise(spatial[0])
        self.filter: SpectralFilter | None = None
        if spectral_filter:
            if len(spatial) != 2 or spatial[0] != spatial[1]:
                raise ValueError("spectral_filter needs square maps (C, S, S)")
            self.filter = SpectralFilter(spatial[0])
        # the deposited fraction (``total``): one number from the pooled features and condition
        self.total_fc = nn.Linear(full + emb, 1) if total is not None else None
        # FiLM (created last, at zero: the other layers' initialisation is unchanged and G
        # starts as without it): every block, and the full-resolution layer after its noise,
        # scales its features by 1 + γ(condition) and the full-resolution layer also shifts
        # them, so the condition sets how strongly the injected noise shows
        self.full_scale = self.full_shift = None
        if film and emb:
            for block in self.blocks:
                block.scale = zero_linear(emb, block.noise.strength.numel())
            self.full_scale, self.full_shift = zero_linear(emb, full), zero_linear(emb, full)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        e = None
        sign = None
        if self.symmetric:
            # x(−z₀, z₁, …) = −x(z₀, z₁, …) exactly: the network sees |z₀| and the sign of z₀
            # multiplies the output, so the sampled distribution is spin-flip symmetric.
            sign = torch.where(z[:, :1] >= 0, 1.0, -1.0)
            z = torch.cat([z[:, :1].abs(), z[:, 1:]], dim=1)
        h = z
        if self.embed is not None:
            if cond is None:
                raise ValueError("this generator is conditional: pass a condition tensor")
            e = self.embed(cond)
            h = torch.cat([z, e], dim=1)
        if self.base_noise is not None:
            # the same features at every cell, plus per-cell noise (CPU stream, then moved)
            eps = torch.randn(len(z), _BASE_NOISE, *self.base, dtype=h.dtype).to(h.device)
            h = self.inp(h).reshape(len(z), self.ch0, *([1] * len(self.base)))
            h = h + self.base_noise(eps)
        else:
            h = self.inp(h).reshape(len(z), self.ch0, *self.base)
        for block in self.blocks:
            h = block(h, e)
        h = _resize(F.leaky_relu(h, 0.2), self.last, True, self.upsample, self.periodic)
        h = self.full_noise(self.full(h))
        if self.full_scale is not None and self.full_shift is not None and e is not None:
            shift = self.full_shift(e).reshape(len(h), -1, *([1] * (h.dim() - 2)))
            h = film(h, self.full_scale(e)) + shift
        for block in self.full_blocks:
            h = block(h, e)
        x = self.out(F.leaky_relu(h, 0.2))
        if self.filter is not None:
            x = self.filter(x)
        if self.spectral is not None:
            x = x + self.spectral(len(x), x.device, x.dtype)
        if self.total_fc is not None:
            x = self._energy_total(x, F.leaky_relu(h, 0.2), e, cond)
        if self.head in ("tanh", "spin"):
            x = torch.tanh(x)
        if self.head == "spin":
            # Straight-through sign (Bengio et al. 2013): D sees exact ±1 spins, so it cannot
            # tell fakes by their non-binary values; G's gradient flows through tanh.
            x = x + (torch.where(x >= 0, 1.0, -1.0) - x).detach()
        if self.cut is not None:
            # Straight-through sparsity cut: D sees what the decoding keeps (a voxel below the
            # cut is exactly the encoded zero, as in the real data); G's gradient is the identity.
            level, zero = self.cut
            x = x + (torch.where(x < level, torch.full_like(x, zero), x) - x).detach()
        if sign is not None:
            x = x * sign.to(x.dtype).reshape(len(z), *([1] * (x.dim() - 1)))
        if self.equivariant or self.roll:
            x = random_shift(x, self.periodic)
        return x

    def _energy_total(self, y: Tensor, h: Tensor, e: Tensor, cond: Tensor) -> Tensor:
        """G's voxels ``y`` (encoder space) rescaled so that the voxels the decoding keeps
        (those at or above its sparsity cut) deposit r · E_inc."""
        assert self.total is not None and self.total_fc is not None
        mean, std, scale, c_mean, c_std, r_mean, r_std, cut = self.total
        t = self.total_fc(torch.cat([h.flatten(2).mean(2), e], dim=1))  # (B, 1)
        e_dep = torch.exp(cond[:, :1] * c_std + c_mean + t * r_std + r_mean)  # r · E_inc
        u = y * std + mean  # log(1 + E / scale) as G drew it
        if self.cut is not None:
            # G's draws are log shares of the deposit (a softmax over the voxels: positive,
            # with a gradient everywhere); lit or not by :func:`exact_deposit`
            d = torch.softmax(u.flatten(1).clamp(max=30.0), dim=1).reshape(u.shape)
            v, _ = exact_deposit(d, e_dep[:, 0] / scale, cut)
            return (torch.log1p(v) - mean) / std
        kept = (u >= cut).detach()
        # capped at e^30 times the scale (as the observable score's energies): an overflow to
        # inf would make the common factor 0 and the voxels inf · 0 = NaN
        drawn = torch.where(kept, torch.expm1(u.clamp(cut, 30.0)), torch.zeros_like(u))
        shape = (len(y),) + (1,) * (y.dim() - 1)
        total = scale * drawn.flatten(1).sum(1)
        k = torch.where(total > 0, e_dep[:, 0] / total.clamp_min(1e-30), torch.ones_like(total))
        # voxels below the cut stay as drawn (the decoding zeroes them); kept ones are rescaled
        u = torch.where(kept, torch.log1p(drawn * k.reshape(shape)), u)
        return (u - mean) / std


#: Voxels lit by :func:`exact_deposit` sit at least this far above the threshold (relative), so
#: that float rounding in the decoding cannot drop them.
CUT_MARGIN = 1e-4


def exact_deposit(drawn: Tensor, deposit: Tensor, cut: float) -> tuple[Tensor, Tensor]:
    """Shares ``drawn`` (B, …; ≥ 0, in units of the energy scale) turned into voxel energies
    that deposit exactly ``deposit`` (B,) per sample after the decoding's threshold
    c = expm1(``cut``): with k₀ = deposit / Σ d (the plain rescaling) a voxel is lit when
    k₀ d ≥ c, and the lit voxels are scaled by k₁ = deposit / Σ_lit d ≥ k₀, so every lit
    voxel stays above c and they sum to the deposit. The largest share is lit in any case
    (then alone with the whole deposit, when no share reaches c). Which voxels are lit
    depends on the shares alone, not on the scale of ``drawn`` (G cannot light more voxels
    by drawing larger values).
    Returns (energies, lit): unlit voxels carry k₀ d (< c; the generator's cut sets them to
    the encoded zero, with a straight-through gradient), so G's gradient reaches every voxel.
    A sample with no positive draw returns zeros."""
    c = math.expm1(cut) * (1.0 + CUT_MARGIN)
    d = drawn.flatten(1)
    total = d.sum(1, keepdim=True)
    k0 = deposit[:, None] / torch.where(total > 0, total, torch.ones_like(total))
    # the largest share is always lit, so a deposit above c is never decoded as an empty
    # sample (whose zero total would give the generator's score no gradient back)
    top = d >= d.max(dim=1, keepdim=True).values
    lit = ((k0 * d >= c) | top).detach() & (d > 0)
    lit_sum = torch.where(lit, d, torch.zeros_like(d)).sum(1, keepdim=True)
    # denominators kept away from 0: a masked-out inf still sends NaN through the backward pass
    k1 = deposit[:, None] / torch.where(lit_sum > 0, lit_sum, torch.ones_like(lit_sum))
    k1 = torch.where(lit_sum > 0, k1, k0)
    out = torch.where(lit, k1 * d, k0 * d)
    return out.reshape(drawn.shape), lit.reshape(drawn.shape)


class SplitByCondition(nn.Module):
    """One network per condition value: row i of the input goes to the network of the
    ``values`` row (encoded conditions, (K, C)) nearest to its condition, which sees the input
    alone (a generator z, a discriminator x); the outputs are put back in row order.

    For a few distinct conditions (Ising temperatures): a conditional generator shares its
    weights across the phases and has to learn to switch between an ordered and a disordered
    lattice from the condition, where separate generators (and critics) each learn one
    distribution.
    """

    def __init__(self, parts: Sequence[nn.Module], values: Tensor) -> None:
        super().__init__()
        if len(parts) != len(values):
            raise ValueError("one network per condition value")
        self.parts = nn.ModuleList(parts)
        self.register_buffer("values", values.detach().clone().float())

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if cond is None:
            raise ValueError("this network is conditional: pass a condition tensor")
        which = torch.cdist(cond.float(), self.values.to(cond.device)).argmin(dim=1)
        out: Tensor | None = None
        for k, part in enumerate(self.parts):
            rows = torch.nonzero(which == k).flatten()
            if len(rows) == 0:
                continue
            y = part(x[rows])
            if out is None:
                out = y.new_zeros(len(x), *y.shape[1:])
            out = out.index_copy(0, rows, y)
        assert out is not None
        return out


OBSERVABLES = (
    "none",
    "ising",
    "ising-bonds",
    "spectrum",
    "layers",
    "projections",
    "series",
    "series-fine",
    "series-lags",
)
#: The observables of single-channel series (B, 1, L): one or two frequency bins per octave,
#: or the lagged products whose means make the pooled autocorrelation.
SERIES_OBSERVABLES = ("series", "series-fine", "series-lags")
#: ``series-lags`` reads lags 0 … SERIES_MAX_LAG (the series metrics' autocorrelation lags).
SERIES_MAX_LAG = 16


@functools.lru_cache(maxsize=8)
def octave_bins(length: int, per_octave: int = 1) -> tuple[Tensor, Tensor]:
    """Frequency bin (0 = excluded) of every rfft mode k of a series of ``length`` points, and
    the number of modes per bin: octaves k = 1, 2, 3–4, 5–8, … (``per_octave`` 1), or
    ``per_octave`` bins per octave, empty ones dropped (2, at length 64: k = 1, 2, 3–4, 5,
    6–8, 9–11, 12–16, 17–22, 23–32)."""
    k = torch.arange(length // 2 + 1)
    raw = torch.zeros_like(k)
    raw[1:] = torch.ceil(per_octave * torch.log2(k[1:].double()) - 1e-9).long() + 1
    _, bins = torch.unique(raw, return_inverse=True)  # consecutive, 0 stays 0 (k = 0 only)
    return bins, torch.bincount(bins)


@functools.lru_cache(maxsize=8)
def spectrum_bins(size: int) -> tuple[Tensor, Tensor]:
    """Radial bin (|k| rounded, 1 … size/2; 0 = excluded) of every rfft2 mode, flattened, and
    the number of modes per bin. Cached: D computes the spectrum on every forward pass."""
    k = rfft_radius(size)
    bins = torch.where((k >= 1) & (k <= size // 2), k, torch.zeros_like(k)).reshape(-1)
    return bins, torch.bincount(bins, minlength=size // 2 + 1)


def binned_power(f: Tensor) -> Tensor:
    """(B, S/2) mean power |rfft2|² (orthonormal) of square periodic fields f (B, S, S) in the
    radial bins |k| = 1 … S/2 (:func:`spectrum_bins`)."""
    size = f.shape[-1]
    power = torch.fft.rfft2(f, norm="ortho").abs() ** 2  # (B, H, W//2+1)
    bins, count = (t.to(f.device) for t in spectrum_bins(size))
    total = torch.zeros(len(f), size // 2 + 1, dtype=f.dtype, device=f.device)
    total.index_add_(1, bins, power.reshape(len(f), -1))
    return total[:, 1:] / count[1:].to(f.dtype)


def observables(x: Tensor, kind: str) -> Tensor:
    """Per-sample physical summaries of a batch of fields (B, C, H, W); ``ising`` and
    ``spectrum`` read single-channel 2-D fields (B, 1, H, W).

    ``ising``: [e, |m|, m²] with e = −(1/L²) Σ s_i (s_right + s_down) on the periodic lattice
    (the exact Hamiltonian per spin) and m the magnetisation per spin. ``ising-bonds``: the
    lattice's texture as well — [b_x, b_y, b_d, b_a, |m|, m²], the mean products of
    neighbours along x and y (e = −(b_x + b_y)) and along the two diagonals: a generator can
    reach the right e with too few aligned bonds along one axis and too many along the other,
    or too weak diagonal correlations, which e alone does not show. ``spectrum``: the
    radially binned log power spectrum log P(|k|) for |k| = 1 … H/2 (periodic square maps).
    ``layers``: for non-negative energies (B, C, …), log(1 + E_c) per channel c (a calorimeter
    layer's deposited energy) and log(1 + Σ_c E_c), the total — CaloGAN's energy-sum features.
    ``projections``: for non-negative energies (B, C, A₁, …), log(1 + E) summed onto the bins
    of every axis in turn (a calorimeter's layers, angular and radial bins) and the total.
    ``series``: for single-channel series (B, 1, L), the mean over time, the log variance over
    time and the log periodogram of the centred series averaged in octaves of frequency
    (k = 1, 2, 3–4, …, L/2): a series' level, its spread and the shape of its autocorrelation
    (Wiener–Khinchin), per sample. ``series-fine``: the same with two bins per octave.
    ``series-lags``: the mean over time x̄ and the lagged products ⟨x_t x_{t+l}⟩_t for l = 0 …
    16, per series: their means over series are the pooled mean, second moment and lagged
    moments from which the stationary variance and autocorrelation ρ(l) are computed (the
    quantities the series metrics test), so matching them pins those exactly in expectation.
    Differentiable, so the generator gets gradients through them.
    """
    if kind == "layers":
        sums = x.flatten(2).sum(dim=2)  # (B, C)
        return torch.log1p(torch.cat([sums, sums.sum(dim=1, keepdim=True)], dim=1))
    if kind == "projections":
        axes = range(1, x.dim())
        sums = [x.sum(dim=[b for b in axes if b != a]) for a in axes]  # (B, size of axis a)
        return torch.log1p(torch.cat([*sums, x.flatten(1).sum(dim=1, keepdim=True)], dim=1))
    f = x[:, 0]
    if kind == "series-lags":
        length = f.shape[1]
        lags = range(min(SERIES_MAX_LAG, length - 1) + 1)
        prods = [(f[:, : length - k] * f[:, k:]).mean(dim=1) for k in lags]
        return torch.stack([f.mean(dim=1), *prods], dim=1)
    if kind in SERIES_OBSERVABLES:
        mean = f.mean(dim=1, keepdim=True)
        c = f - mean
        power = torch.fft.rfft(c, dim=1).abs() ** 2 / f.shape[1]  # (B, L//2+1)
        per_octave = 2 if kind == "series-fine" else 1
        bins, count = (t.to(f.device) for t in octave_bins(f.shape[1], per_octave))
        total = torch.zeros(len(f), len(count), dtype=f.dtype, device=f.device)
        total.index_add_(1, bins, power)
        logp = torch.log(total[:, 1:] / count[1:].to(f.dtype) + 1e-6)
        logv = torch.log((c * c).mean(dim=1, keepdim=True) + 1e-6)
        return torch.cat([mean, logv, logp], dim=1)
    if kind == "ising":
        e = -(f * torch.roll(f, 1, dims=1) + f * torch.roll(f, 1, dims=2)).mean(dim=(1, 2))
        m = f.mean(dim=(1, 2))
        return torch.stack([e, m.abs(), m * m], dim=1)
    if kind == "ising-bonds":
        down = torch.roll(f, 1, dims=1)
        bonds = [
            f * torch.roll(f, 1, dims=2),  # b_x
            f * down,  # b_y
            f * torch.roll(down, 1, dims=2),  # diagonal
            f * torch.roll(down, -1, dims=2),  # anti-diagonal
        ]
        m = f.mean(dim=(1, 2))
        return torch.stack([b.mean(dim=(1, 2)) for b in bonds] + [m.abs(), m * m], dim=1)
    if kind == "spectrum":
        return torch.log(binned_power(f) + 1e-8)
    raise ValueError(f"unknown observables {kind!r}; choose one of {OBSERVABLES}")


ANSCOMBE_ZERO = 2.0 * math.sqrt(0.375)  # 2 sqrt(x + 3/8) at x = 0


def anscombe_counts(x: Tensor, mean: float, std: float) -> Tensor:
    """Counts x = u²/4 − 3/8 from standardised Anscombe values (u = x · std + mean, the
    encoder's ``anscombe`` transform), u clamped at the image of 0 (no negative counts);
    continuous, so differentiable — rounding is left to the decoding."""
    u = (x * std + mean).clamp_min(ANSCOMBE_ZERO)
    return u * u / 4.0 - 0.375


class ObservableFeatures(nn.Module):
    """Standardised observables → a small MLP → features appended to D's pooled features.

    A discriminator with spectral norm is 1-Lipschitz, so on its own it can hardly resolve an
    energy difference of 0.01 per spin; fed the (standardised) observables directly it
    compares their distributions per condition (physics-informed discriminator).
    """

    def __init__(
        self,
        kind: str,
        mean: Sequence[float],
        std: Sequence[float],
        sn: bool,
        energy: Sequence[float] | None = None,
        counts: Sequence[float] | None = None,
        cond_dim: int = 0,
    ) -> None:
        super().__init__()
        self.kind, self.cond_dim = kind, cond_dim
        # counts = (mean, std): D's input is standardised Anscombe values; the observables
        # are computed on the counts they decode to (:func:`anscombe_counts`)
        self.counts = None if counts is None else tuple(float(v) for v in counts)
        # energy = (mean, std, scale): D's input is standardised log-space energies y; the
        # observables are computed on E = scale · expm1(max(y·std + mean, 0)), the physical
        # energies the generator's output decodes to
        self.energy = None if energy is None else tuple(float(v) for v in energy)
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32))
        k = len(mean) + cond_dim
        self.net = nn.Sequential(
            maybe_sn(nn.Linear(k, _OBS), sn), nn.LeakyReLU(0.2), maybe_sn(nn.Linear(_OBS, _OBS), sn)
        )

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if self.energy is not None:
            mean, std, scale = self.energy
            x = scale * torch.expm1(torch.relu(x * std + mean))
        if self.counts is not None:
            x = anscombe_counts(x, *self.counts)
        phi = (observables(x, self.kind) - self.mean) / self.std
        if self.cond_dim:  # the MLP judges the observables jointly with the condition
            if cond is None:
                raise ValueError("these observable features are conditional: pass a condition")
            phi = torch.cat([phi, cond.to(phi.dtype)], dim=1)
        return F.leaky_relu(self.net(phi), 0.2)


class ConvDiscriminator(nn.Module):
    """D(x (B, C, *spatial), cond (B, C') | None) → (B,) logits; residual, no BatchNorm."""

    def __init__(
        self,
        shape: Sequence[int],
        *,
        cond_dim: int = 0,
        width: int = 32,
        depth: int = 1,
        periodic: Sequence[bool] = (),
        sn: bool = True,
        minibatch_std: bool = False,
        pac: int = 1,
        observables: str = "none",
        obs_mean: Sequence[float] = (),
        obs_std: Sequence[float] = (),
        obs_energy: Sequence[float] | None = None,
        obs_counts: Sequence[float] | None = None,
        pool_scale: float = 1.0,
        obs_cond: bool = False,
    ) -> None:
        super().__init__()
        spatial = list(shape[1:])
        periodic = list(periodic) or [False] * len(spatial)
        stages, _ = plan_stages(spatial)
        self.pac = pac
        self.pool_scale = float(pool_scale)
        self.obs: ObservableFeatures | None = None
        if observables != "none":
            self.obs = ObservableFeatures(
                observables,
                obs_mean,
                obs_std,
                sn,
                obs_energy,
                obs_counts,
                cond_dim=cond_dim if obs_cond else 0,
            )
        # One conv at full resolution, then pooling; residual stages below (mirror of G).
        self.first = stages[0] if stages else [1] * len(spatial)
        self.inp = _conv(shape[0] * pac, width, 3, periodic, sn)
        ch, blocks = width, []
        for i, factors in enumerate(stages[1:]):
            cout = _channels(width, i + 1)
            for j in range(depth):
                f = factors if j == depth - 1 else [1] * len(factors)
                blocks.append(DBlock(ch, cout, f, periodic, sn))
                ch = cout
        if len(stages) <= 1:
            blocks = [DBlock(ch, ch, [1] * len(spatial), periodic, sn) for _ in range(depth)]
        self.blocks = nn.Sequential(*blocks)
        self.mbstd: nn.Module | None = None
        if minibatch_std:
            self.mbstd = ConditionalMinibatchStd() if cond_dim else MinibatchStd()
        obs_width = _OBS * pac if self.obs is not None else 0
        self.fc = maybe_sn(nn.Linear(ch + obs_width + int(minibatch_std), ch), sn)
        self.embed = (
            nn.Sequential(
                maybe_sn(nn.Linear(cond_dim * pac, _EMBED), sn),
                nn.LeakyReLU(0.2),
                maybe_sn(nn.Linear(_EMBED, _EMBED), sn),
            )
            if cond_dim
            else None
        )
        self.head = ProjectionHead(ch, _EMBED if cond_dim else 0, sn=sn)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if self.embed is not None and cond is None:
            raise ValueError("this discriminator is conditional: pass a condition tensor")
        o = None if self.obs is None else self.obs(x, cond)  # (B, _OBS) before packing
        if self.pac > 1:
            x = x.reshape(len(x) // self.pac, -1, *x.shape[2:])
            cond = None if cond is None else cond.reshape(len(cond) // self.pac, -1)
            o = None if o is None else o.reshape(len(o) // self.pac, -1)
        h = self.blocks(_resize(F.leaky_relu(self.inp(x), 0.2), self.first, up=False))
        h = F.leaky_relu(h, 0.2).sum(dim=tuple(range(2, h.dim()))) * self.pool_scale  # (B, ch)
        if o is not None:
            h = torch.cat([h, o], dim=1)
        if isinstance(self.mbstd, ConditionalMinibatchStd):
            h = self.mbstd(h, cond)
        elif self.mbstd is not None:
            h = self.mbstd(h)
        h = F.leaky_relu(self.fc(h), 0.2)
        e = None if self.embed is None else self.embed(cond)
        out = self.head(h, e)
        return out.repeat_interleave(self.pac) if self.pac > 1 else out
