"""The dependency rules of the package, checked on its source (DESIGN.md "Dependency rules").

Every ``import`` statement counts, including those inside functions: a lazy import is still a
dependency, and a circle through one still means the modules cannot be understood apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

import scigan

SRC = Path(scigan.__file__).parent
PKG = "scigan"

# Layers from the bottom up: a module may import its own layer and those below it.
LAYERS = [
    {"scigan._version", "scigan.errors", "scigan.progress"},
    {"scigan.limits"},
    {"scigan.config", "scigan.registry", "scigan.data_wheels"},
    {"scigan.metrics", "scigan.core"},
    {"scigan.domains", "scigan.report"},
    {"scigan.sampling"},
    {"scigan.problem"},
    {"scigan.api"},
    {"scigan.demo"},
    {"scigan.cli", "scigan.__main__", "scigan"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == PKG)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != PKG:
                continue
            for a in node.names:  # `from scigan import progress` imports scigan.progress
                sub = SRC.parent / (mod + "." + a.name).replace(".", "/")
                if sub.is_dir() or sub.with_suffix(".py").is_file():
                    out.add(mod + "." + a.name)
                else:
                    out.add(mod)
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    return {m: {d for d in _imports(p, m) if d in modules and d != m} for m, p in modules.items()}


def _layer(module: str) -> int:
    best, level = -1, -1
    for i, group in enumerate(LAYERS):
        for g in group:
            if (module == g or module.startswith(g + ".")) and len(g) > best:
                best, level = len(g), i
    return level


def _domain(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] == "domains" and parts[2] not in ("base", "arrays", "latent"):
        return parts[2]
    return None


def test_every_module_has_a_layer():
    assert [m for m in _graph() if _layer(m) < 0] == []


def test_no_upward_imports():
    graph = _graph()
    bad = sorted(
        f"{m} -> {d}"
        for m, deps in graph.items()
        for d in deps
        if _layer(d) > _layer(m) and not (m == PKG and d.startswith(PKG + "."))
    )
    assert bad == []


def test_domains_never_import_each_other():
    graph = _graph()
    bad = sorted(
        f"{m} -> {d}"
        for m, deps in graph.items()
        for d in deps
        if _domain(m) and _domain(d) and _domain(m) != _domain(d)
    )
    assert bad == []


def test_no_import_circles():
    graph = _graph()
    # Tarjan's strongly connected components over every import edge.
    edges = graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert circles == []


def test_core_and_metrics_never_import_a_domain():
    graph = _graph()
    bad = sorted(
        f"{m} -> {d}"
        for m, deps in graph.items()
        if m.startswith(("scigan.core", "scigan.metrics"))
        for d in deps
        if d.startswith("scigan.domains")
    )
    assert bad == []
