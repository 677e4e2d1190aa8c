"""Every benchmark script imports (a renamed library function once broke
``benchmarks/molecules.py`` without a failing test): each is loaded as a module, which runs its
imports and definitions but not its ``__main__`` block."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
#: Scripts that need an optional extra (``bench``: ctgan, Business Source Licence) to import.
OPTIONAL = {"_ctgan_worker.py": "ctgan"}


@pytest.mark.parametrize("path", sorted(BENCHMARKS.glob("*.py")), ids=lambda p: p.name)
def test_benchmark_script_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if path.name in OPTIONAL:
        pytest.importorskip(OPTIONAL[path.name])
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # scripts import their sibling helpers
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
