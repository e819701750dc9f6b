"""The rooms and their arrows (docs/architecture.md), checked on every `make test`.

`lint-imports` (pyproject's [tool.importlinter]) checks that imports go down the layers;
these tests check what its contracts do not: no two modules of ours import each other, by
any path, and no module dodges a circle with an import inside a function."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "core",
    "communities",
    "gatesync",
    "riders",
    "governance",
    "coordination",
    "dashboard",
    "demo",
    "portal",
)

# Imports inside functions that stay, each with its reason. Django's own pattern: an app's
# `ready()` connects its receivers once the registry is loaded.
FUNCTION_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


def _production(module: str) -> bool:
    parts = module.split(".")
    return "tests" not in parts and "migrations" not in parts


def _graph() -> grimp.ImportGraph:
    sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_two_modules_import_each_other_by_any_path():
    graph = _graph()
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if _production(imported)
        }
        for module in graph.modules
        if _production(module)
    }
    # A package's __init__ that gathers its submodules (models/__init__.py) is the
    # package itself: an import of `app.models` from `app.models.gates` is not a circle
    # of ours but Python's package loading, so a package's own children are left out.
    for module, imported in edges.items():
        edges[module] = {
            other
            for other in imported
            if not (module.startswith(other + ".") or other.startswith(module + "."))
        }
    assert _cycles(edges) == []


def _function_imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom):
                name = inner.module or ""
                if inner.level or name.split(".")[0] in PACKAGES:
                    found.append(("." * inner.level + name, inner.lineno))
            elif isinstance(inner, ast.Import):
                found.extend(
                    (alias.name, inner.lineno)
                    for alias in inner.names
                    if alias.name.split(".")[0] in PACKAGES
                )
    return found


def test_no_import_of_ours_inside_a_function():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if not _production(".".join(relative.with_suffix("").parts)):
                continue
            for name, line in _function_imports(path):
                if path.name == "apps.py":
                    continue  # AppConfig.ready(): receivers connect once models are loaded
                if (str(relative), name) not in FUNCTION_IMPORTS_ALLOWED:
                    offenders.append(f"{relative}:{line} imports {name}")
    assert offenders == []
