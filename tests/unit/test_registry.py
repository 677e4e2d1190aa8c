from __future__ import annotations

import pytest

import scigan
from scigan.errors import UnknownNameError
from scigan.registry import Registry


def test_registry_basics():
    reg: Registry[int] = Registry("widget")
    reg.register("a", 1)

    @reg.register("b")
    def b():  # decorator form
        return 2

    assert reg.get("a") == 1 and reg.get("b") is b and reg.names() == ["a", "b"]
    with pytest.raises(ValueError, match="twice"):
        reg.register("a", 3)
    with pytest.raises(UnknownNameError, match=r"unknown widget 'aa'.*Did you mean 'a'"):
        reg.get("aa")


def test_builtin_registrations():
    assert "toy" in scigan.DOMAINS
    for name in ("ring8", "grid25"):
        info = scigan.DATASETS.get(name)
        assert info.domain == "toy" and info.licence and info.source
