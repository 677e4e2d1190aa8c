"""Config: defaults in one place, round-trips, validation, clear errors."""

from __future__ import annotations

import json

import pytest

from scigan.config import TrainConfig, read_config_file
from scigan.errors import ConfigError


def test_round_trip_json():
    cfg = TrainConfig().replace({"lr_g": 1e-3, "loss": "hinge", "steps": 77, "options": {"n": 5}})
    again = TrainConfig.from_dict(json.loads(cfg.to_json()))
    assert again == cfg
    assert again.optim.lr_g == 1e-3 and again.objective.loss == "hinge"


def test_flat_and_nested_are_equivalent():
    flat = TrainConfig.from_dict({"lr_d": 5e-4, "z_dim": 3, "collapse_patience": 2})
    nested = TrainConfig.from_dict(
        {"optim": {"lr_d": 5e-4}, "net": {"z_dim": 3}, "monitor": {"collapse_patience": 2}}
    )
    assert flat == nested


def test_yaml_file_round_trip(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("steps: 120\noptim:\n  batch-size: 32\nloss: wgan-gp\n")
    cfg = TrainConfig.from_dict(read_config_file(path))
    assert cfg.steps == 120 and cfg.optim.batch_size == 32
    assert cfg.objective.resolved_gp_weight == 10.0
    assert TrainConfig().objective.resolved_gp_weight == 0.0


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"lr_gg": 1e-3}, "unknown setting 'lr_gg'; did you mean 'lr_g'"),
        ({"net": {"lr_g": 1}}, "unknown setting 'net.lr_g'"),
        ({"steps": -5}, "steps"),
        ({"steps": 1.5}, "expected int"),
        ({"loss": "lsgan"}, "one of ns, hinge, wgan-gp"),
        ({"batch_size": 1}, "batch_size"),
        ({"beta1": 1.0}, "beta1"),
        ({"pac": 3, "batch_size": 64}, "multiple of pac"),
        ({"spectral_norm": "maybe"}, "spectral_norm"),
        ({"net": 3}, "section"),
    ],
)
def test_invalid_values(values, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig.from_dict(values)


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        read_config_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [1,\n")
    with pytest.raises(ConfigError, match="line"):
        read_config_file(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        read_config_file(empty)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("stepz: 3\n")
    with pytest.raises(ConfigError, match=r"unknown.yaml: unknown setting 'stepz'"):
        read_config_file(unknown)


def test_frozen():
    with pytest.raises(AttributeError):
        TrainConfig().steps = 3  # type: ignore[misc]


def test_device_flag_is_validated_and_resolved():
    import torch

    from scigan.core import dist

    with pytest.raises(ConfigError, match="device"):
        TrainConfig(device="gpu")
    assert TrainConfig(device="cuda:1").device == "cuda:1"
    assert dist.resolve_device("cpu") == torch.device("cpu")
    if torch.cuda.is_available():
        assert dist.resolve_device("auto").type == "cuda"
    else:
        assert dist.resolve_device("auto") == torch.device("cpu")
        with pytest.raises(ConfigError, match="no CUDA GPU; use --device cpu"):
            dist.resolve_device("cuda")
