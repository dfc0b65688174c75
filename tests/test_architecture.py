"""Architecture rules, enforced: the planner never depends on the HTTP layer."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"api", "fastapi", "uvicorn", "starlette"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_planner_never_imports_the_http_layer():
    """No module under planner/ imports api, fastapi, uvicorn or starlette."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN)
        for path in (ROOT / "planner").rglob("*.py")
        if imported_modules(path) & FORBIDDEN
    }
    assert offenders == {}


def test_checker_is_independent_of_the_solver():
    """planner/check.py never imports the search, the problem, the model or OR-Tools."""
    tree_imports = set()
    for node in ast.walk(ast.parse((ROOT / "planner" / "check.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            tree_imports.add(node.module)
        elif isinstance(node, ast.Import):
            tree_imports.update(alias.name for alias in node.names)
    forbidden = {"planner.connections", "planner.network", "planner.problem", "planner.solve", "ortools"}
    assert not {m for m in tree_imports if any(m.startswith(f) for f in forbidden) or "cpsat" in m}
