"""The house's shape: no import cycle anywhere in the product code, and the import-linter
contracts of ``pyproject.toml`` (apps downward, the kernel at the bottom, ``tracker``'s insides
in layers) kept. ``make test`` runs ``lint-imports`` too; this test names the cycle it finds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

PRODUCT = ("tracker", "mentors", "learners", "curriculum")
ROOT = Path(__file__).resolve().parent.parent


def import_cycles() -> list[list[str]]:
    """Every set of product modules that import each other, directly or through others
    (function-level imports included), as Tarjan's strongly connected components."""
    graph = grimp.build_graph(*PRODUCT, include_external_packages=False)
    modules = sorted(m for m in graph.modules if ".migrations" not in m)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if ".migrations" in imported:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(modules)))
    for module in modules:
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle_in_product_code():
    assert import_cycles() == []


def test_cycle_finder_sees_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "looped"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from looped import b\n")
    (package / "b.py").write_text("from looped import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("looped")
    assert "looped.b" in graph.find_modules_directly_imported_by("looped.a")
    assert "looped.a" in graph.find_modules_directly_imported_by("looped.b")


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-4000:]
