"""Shared fixtures: fixed seeds, few threads, quiet output."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield


def pytest_configure(config):
    torch.set_num_threads(2)


# Small, fast settings for integration tests (seconds, not minutes).
FAST = {
    "z_dim": 8,
    "g_width": 32,
    "d_width": 32,
    "g_depth": 1,
    "d_depth": 1,
    "batch_size": 64,
    "log_every": 20,
    "eval_every": 0,
    "ckpt_every": 100,
    "eval_n": 200,
    "options": {"n": 2000},
}


@pytest.fixture
def fast_settings() -> dict:
    return dict(FAST)
