"""The spectral filter on generated maps (``--set spectral_filter=true``) and its penalty,
against closed forms: the identity at the start, |H|² on the power spectrum, a penalty whose
gradient reaches only the gains and pushes them towards the training power."""

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
    spec_y, spec_x = torch.fft.rfft2(y, norm="ortho"), torch.fft.rfft2(x, norm="ortho")
    ratio = spec_y.abs() ** 2 / spec_x.abs() ** 2
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


def test_penalty_target_is_the_training_power_and_its_gradient_reaches_only_the_gains():
    filt = SpectralFilter(16)
    data = _white(2000, 0)  # unit white noise: mean power 1 in every bin
    pen = spectrum_filter_penalty(10.0, data, filt)
    assert pen is not None and pen.target.shape == (8,)
    np.testing.assert_allclose(pen.target.numpy(), 1.0, rtol=0.1)
    assert spectrum_filter_penalty(0.0, data, filt) is None
    # generated maps with a quarter of the power: the gap is −0.75 in every bin
    w = torch.ones((), requires_grad=True)  # stands for the convolutional network
    loss = pen(filt(w * _white(4000, 1, 0.5)), None)
    assert abs(loss.item() - 10.0 * 0.75**2) < 0.4
    loss.backward()
    assert w.grad is None  # the network gets nothing
    # the gains of bins 1 … 8 are pushed up (gradient negative); the mean and the corners alone
    assert (filt.theta.grad[1:9] < 0).all()
    assert (filt.theta.grad[0] == 0) and (filt.theta.grad[9:] == 0).all()


def test_penalty_is_unbiased_at_the_training_spectrum():
    """The product of two independent halves' gaps has expectation 0 when the generated power
    equals the target, where the square of one batch's gap would be positive."""
    filt = SpectralFilter(16)
    pen = spectrum_filter_penalty(1.0, _white(4000, 0), filt)
    vals = [pen(_white(32, 100 + i), None).item() for i in range(400)]
    mean, se = float(np.mean(vals)), float(np.std(vals) / np.sqrt(len(vals)))
    assert abs(mean) < 3 * se + 2e-3


def test_filter_weight_option_is_checked():
    from scigan.domains.fields import data as fdata
    from scigan.errors import DataError

    assert fdata.filter_weight(None) == 10.0 and fdata.filter_weight(2.5) == 2.5
    with pytest.raises(DataError, match="filter_weight"):
        fdata.filter_weight(-1)
