"""The spectral filter on generated maps (``--set spectral_filter=true``) and its penalty,
against closed forms: the identity at the start, |H|² on the power spectrum, a penalty whose
gradient pushes the gains (and the network's power) towards the training power."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scigan.core.nets import ConvGenerator, SpectralFilter
from scigan.domains.fields.matching import spectrum_filter_penalty


def test_filter_starts_as_the_identity_and_scales_the_power_by_its_gains():
    filt = SpectralFilter(16)
    x = torch.randn(8, 1, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(filt(x), x, atol=1e-12)
    with torch.no_grad():
        filt.theta.copy_(torch.linspace(0.05, -0.1, len(filt.theta)))
    y = filt(x)
    gain = torch.exp(filt.log_gain()).double()[filt.radius]
    ratio = torch.fft.rfft2(y, norm="ortho").abs() ** 2 / torch.fft.rfft2(x, norm="ortho").abs() ** 2
    # every mode's power is multiplied by H(|k|)² exactly (a linear, diagonal map in k)
    assert torch.allclose(ratio, (gain**2).expand_as(ratio), rtol=1e-6)
    # a real map stays real and periodic: the filter commutes with a cyclic shift
    assert torch.allclose(filt(torch.roll(x, (3, 5), (2, 3))), torch.roll(y, (3, 5), (2, 3)))


def test_generator_option_and_shape_check():
    g = ConvGenerator(8, (1, 16, 16), periodic=[True, True], spectral_filter=True)
    assert isinstance(g.filter, SpectralFilter)
    assert g(torch.randn(3, 8)).shape == (3, 1, 16, 16)
    with pytest.raises(ValueError, match="square maps"):
        ConvGenerator(8, (1, 16, 8), periodic=[True, True], spectral_filter=True)


def _white(n: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, 1, 16, 16, generator=g)


def test_penalty_target_is_the_training_power_and_pushes_gains_and_network_up():
    filt = SpectralFilter(16)
    data = _white(2000, 0)  # unit white noise: mean power 1 in every bin
    pen = spectrum_filter_penalty(10.0, data, filt)
    assert pen is not None and pen.target.shape == (len(filt.theta),)
    np.testing.assert_allclose(pen.target.numpy(), 1.0, rtol=0.15)
    assert spectrum_filter_penalty(0.0, data, filt) is None
    # generated maps with a quarter of the power: the gap is −0.75 in every bin
    w = torch.ones((), requires_grad=True)  # stands for the convolutional network
    loss = pen(filt(w * _white(4000, 1, 0.5)), None)
    assert abs(loss.item() - 10.0 * 0.75**2) < 0.3
    loss.backward()
    # the network's power is pushed up too (2 g H² ∂q/∂w with q = w² · 0.25 per bin:
    # d loss / dw = 10 · mean_k 2 · (−0.75) · 0.5 = −7.5 at w = 1)
    assert w.grad is not None and abs(w.grad.item() + 7.5) < 0.5
    assert (filt.theta.grad < 0).all()  # and every gain
    # the moving average of the network's power is training state (checkpointed)
    assert set(pen.state_dict()) == {"avg", "seen"} and pen.seen.item() == 1.0


def test_penalty_vanishes_at_the_training_spectrum_and_moves_the_gains_there():
    filt = SpectralFilter(16)
    pen = spectrum_filter_penalty(1.0, _white(4000, 0), filt)
    opt = torch.optim.Adam(filt.parameters(), lr=1e-3)
    losses = []
    for i in range(300):  # the "network" draws twice the power; the filter must halve it
        opt.zero_grad()
        loss = pen(filt(_white(32, 100 + i, np.sqrt(2.0))), None)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 0.9 and max(losses[-50:]) < 0.01
    # H² → 1/2 in every bin, to within the moving average's scatter (~2-5 %)
    h2 = torch.exp(2 * filt.log_gain()).detach().numpy()
    np.testing.assert_allclose(h2, 0.5, rtol=0.1)


def test_a_bin_without_training_power_is_pushed_to_zero():
    """Maps with a fixed mean (P(0) = 0, as the grf simulator's) drive the mean mode's gain
    down, scored in units of a small fraction of the mean bin's power."""
    data = _white(2000, 0)
    data = data - data.mean(dim=(2, 3), keepdim=True)
    filt = SpectralFilter(16)
    pen = spectrum_filter_penalty(1.0, data, filt)
    assert pen.target[0].item() < 1e-9 and pen.scale[0].item() > 0
    pen(filt(_white(32, 5)), None).backward()
    assert filt.theta.grad[0] > 0  # the mean mode's gain goes down


def test_filter_weight_option_is_checked():
    from scigan.domains.fields import data as fdata
    from scigan.errors import DataError

    assert fdata.filter_weight(None) == 10.0 and fdata.filter_weight(2.5) == 2.5
    with pytest.raises(DataError, match="filter_weight"):
        fdata.filter_weight(-1)
