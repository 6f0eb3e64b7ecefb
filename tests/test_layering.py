"""The packages' import arrows point one way (ARCHITECTURE.md), lazy imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("rollout", "rewards", "rl", "sft_baseline", "eval", "longwrite")
# What each package may import from the project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "rollout": set(),
    "rewards": {"rollout"},
    "rl": {"rewards", "rollout"},
    "sft_baseline": {"rl", "rewards", "rollout"},
    "eval": {"rewards", "rollout"},
    "longwrite": set(PROJECT),
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """(top-level project package, line) for every import in ``path``, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in PROJECT:
                found.add((top, node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_down(package):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for top, line in imported_packages(path):
            if top != package and top not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Project module -> the project modules it imports (lazy imports inside functions included).

    ``from pkg.mod import name`` counts as an import of ``pkg.mod`` (or of ``pkg.mod.name`` when
    that is a module); a package's ``__init__`` is the package's own name.
    """
    files = {}
    for package in PROJECT:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def owner(name: str) -> str:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            deps.update(owner(n) for n in names if n.split(".")[0] in PROJECT)
        graph[module] = deps - {module, ""}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (each one an import circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_circle():
    cycles = import_cycles(module_graph())
    assert not cycles, "modules that import each other (directly or around a circle):\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )


def test_cycle_detector_sees_a_lazy_circle(tmp_path, monkeypatch):
    pkg = tmp_path / "eval"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from eval.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from eval import a\n")
    (pkg / "c.py").write_text("import eval.a\n")
    assert import_cycles(module_graph(tmp_path)) == [["eval.a", "eval.b"]]


# Inside rewards/: the shared core (the result type and registry, segmenting, format, the monitors)
# is what the reward families build on; it never reaches into a family.
REWARDS_CORE = ("rewards.base", "rewards.segment", "rewards.format", "rewards.monitors")
REWARD_FAMILIES = ("rewards.length", "rewards.quality", "rewards.pairwise", "rewards.rm")


def test_reward_core_does_not_import_the_families():
    graph = module_graph()
    bad = [
        f"{core} imports {dep}"
        for core in REWARDS_CORE
        for dep in sorted(graph[core])
        if dep.startswith(tuple(f"{f}." for f in REWARD_FAMILIES)) or dep in REWARD_FAMILIES
    ]
    assert not bad, "\n".join(bad)


def test_detector_sees_lazy_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from eval import report\n    import rl.launch\n")
    assert imported_packages(f) == {("eval", 2), ("rl", 3)}
