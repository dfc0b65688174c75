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
    """No module of planner/check/ imports the search, the problem, the model, OR-Tools or the plan
    document model (the checker reads the raw JSON on purpose)."""
    modules = sorted((ROOT / "planner" / "check").rglob("*.py"))
    assert modules, "the checker package is missing"
    forbidden = (
        "planner.arcs",
        "planner.connections",
        "planner.heuristics",
        "planner.network",
        "planner.objective",
        "planner.problem",
        "planner.solve",
        "planner.cpsat",
        "planner.document",
        "planner.replan",
        "planner.result",
        "ortools",
    )
    offenders: dict[str, list[str]] = {}
    for path in modules:
        tree_imports = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                tree_imports.add(node.module)
                # ``from planner import solve`` imports planner.solve.
                tree_imports.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                tree_imports.update(alias.name for alias in node.names)
        bad = sorted(
            m for m in tree_imports if any(m == f or m.startswith(f"{f}.") for f in forbidden) or "cpsat" in m
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


# Sizes a maintainer can hold in mind: a module reads in one sitting, a function on one screen.
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def test_planner_modules_and_functions_stay_small():
    """No module under planner/ over 600 lines, no function over 80 (split by concern instead)."""
    too_long: list[str] = []
    for path in sorted((ROOT / "planner").rglob("*.py")):
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text, filename=name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []
