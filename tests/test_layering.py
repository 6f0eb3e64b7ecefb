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


def test_detector_sees_lazy_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from eval import report\n    import rl.launch\n")
    assert imported_packages(f) == {("eval", 2), ("rl", 3)}
