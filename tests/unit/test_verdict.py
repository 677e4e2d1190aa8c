"""The verdict rule of a metric entry (``scigan.metrics.floor.verdict``), branch by branch."""

from __future__ import annotations

import math

import pytest

from scigan.metrics.floor import closer_reference, metric_entry, verdict, z_score


def _entry(value, floor=0.1, better="lower", **extra):
    return metric_entry(value, floor, 100, 0, better, **extra)


def test_by_construction_is_never_a_pass():
    for value in (0.0, 1.0, math.nan):
        v, reason = verdict(_entry(value, by_construction=True, z=0.0, target=1.0))
        assert v == "info" and "by construction" in reason


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, None, "n/a"])
def test_a_value_that_is_not_finite_is_a_miss(value):
    assert verdict({"value": value, "floor": 0.1, "better": "lower"})[0] == "miss"
    assert verdict({"value": value})[0] == "miss"  # even without direction or floor


@pytest.mark.parametrize(("z", "expected"), [(0.0, "pass"), (2.0, "pass"), (-2.0, "pass"),
                                             (2.01, "miss"), (-5.0, "miss")])  # fmt: skip
def test_z_score_passes_within_two(z, expected):
    entry = _entry(-1.4, -1.5, "closer to exact", exact=-1.45, z=z, z_floor=0.3)
    v, reason = verdict(entry)
    assert v == expected
    assert f"{z:+.2f}" in reason and "real sample z = +0.30" in reason


def test_z_score_from_a_standard_error_and_the_reference():
    # closer to 0.5 with se: z = (0.6 - 0.5) / 0.04 = 2.5 -> miss; 0.55 -> 1.25 -> pass
    assert z_score(_entry(0.6, 0.5, "closer to 0.5", target=0.5, se=0.04)) == pytest.approx(2.5)
    assert verdict(_entry(0.6, 0.5, "closer to 0.5", target=0.5, se=0.04))[0] == "miss"
    assert verdict(_entry(0.55, 0.5, "closer to 0.5", target=0.5, se=0.04))[0] == "pass"
    assert math.isnan(z_score(_entry(0.55, 0.5, "lower", se=0.04)))  # no reference: no z


def test_numeric_target_in_the_direction():
    assert verdict(_entry(0.3, 5.0, "lower", target=0.4)) == ("pass", "target ≤ 0.4")
    assert verdict(_entry(0.5, 0.01, "lower", target=0.4))[0] == "miss"  # target beats floor
    assert verdict(_entry(0.9, 0.99, "higher", target=0.8))[0] == "pass"
    assert verdict(_entry(0.7, 0.99, "higher", target=0.8))[0] == "miss"


@pytest.mark.parametrize(
    ("value", "target", "better", "expected"),
    [
        (0.01, "<= 0.02", "lower", "pass"),
        (0.03, "<= 0.02", "lower", "miss"),
        (0.95, ">= 0.9", "higher", "pass"),
        (0.85, ">= 0.9", "higher", "miss"),
        (0.049, "< 0.05 in every k bin", "lower", "pass"),
        (0.05, "< 0.05 in every k bin", "lower", "miss"),
        (0.7, "<= 0.75 (CaloChallenge GANs 0.89-0.94)", "closer to 0.5", "pass"),
        (0.8, "≤ 0.75", "closer to 0.5", "miss"),
    ],
)
def test_text_target_starting_with_a_comparison(value, target, better, expected):
    v, reason = verdict(_entry(value, 0.5, better, target=target))
    assert v == expected and target in reason


def test_text_target_without_a_comparison_falls_back_to_the_floor():
    # tabular TSTR names its target column in "target"
    assert verdict(_entry(0.8, 0.85, "higher", target="yield"))[0] == "pass"


def test_floor_rule_lower():
    assert verdict(_entry(0.2, 0.1, "lower"))[0] == "pass"  # exactly 2x floor
    assert verdict(_entry(0.21, 0.1, "lower"))[0] == "miss"


def test_floor_rule_higher():
    # unit score: floor 0.95 -> limit 1 - 2 * 0.05 = 0.9
    assert verdict(_entry(0.9, 0.95, "higher"))[0] == "pass"
    assert verdict(_entry(0.89, 0.95, "higher"))[0] == "miss"
    # other scores: at least half the floor
    assert verdict(_entry(4.0, 8.0, "higher"))[0] == "pass"
    assert verdict(_entry(3.9, 8.0, "higher"))[0] == "miss"


def test_floor_rule_closer_uses_the_named_reference():
    # |1.1 - 1.0| = 0.1 <= 2 * |1.06 - 1.0| = 0.12
    assert verdict(_entry(1.1, 1.06, "closer to exact", exact=1.0))[0] == "pass"
    assert verdict(_entry(1.2, 1.06, "closer to exact", exact=1.0))[0] == "miss"
    # "closer to reference" aims at the entry's "reference", not at 0
    entry = _entry(0.5, 0.61, "closer to reference", reference=0.6)
    assert closer_reference(entry) == 0.6
    assert verdict(entry)[0] == "miss"
    entry = _entry(0.1, 0.2, "closer to planted rate", planted_rate=0.15, reference=0.3)
    assert closer_reference(entry) == 0.15 and verdict(entry)[0] == "pass"
    assert closer_reference(_entry(0.4, 0.5, "closer to 0.5")) == 0.5


def test_info_never_pass():
    assert verdict(1.0)[0] == "info"  # a bare number
    assert verdict({"value": 1.0})[0] == "info"  # no floor, target or direction
    assert verdict({"value": 1.0, "floor": 1.0})[0] == "info"  # no direction
    assert verdict({"value": 1.0, "better": "lower"})[0] == "info"  # no floor
    assert verdict(_entry(1.0, 1.0, "closer to reference"))[0] == "info"  # nothing to be near
