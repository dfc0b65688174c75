"""Architecture rules, enforced: no import cycle among the project's modules.

Every import counts, also one inside a function: a function-level import that closes a cycle
only hides it. Imports under ``if TYPE_CHECKING:`` are left out, as they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("planner", "api")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    hidden: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden.update(ast.walk(child))
    return hidden


def _submodule_or(base: str, name: str, modules: set[str]) -> str:
    return f"{base}.{name}" if f"{base}.{name}" in modules else base


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules a module imports (a package import names its ``__init__``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    hidden = _type_checking_only(tree)
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in hidden:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from package import module" imports the submodule when there is one.
            targets = [_submodule_or(base, alias.name, modules) for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != here:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    paths = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    paths = [path for path in paths if "migrations" not in path.parts or path.name != "env.py"]
    modules = {module_name(path) for path in paths}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for path in paths:
        for target in imports_of(path, modules):
            graph.add_edge(module_name(path), target)
    return graph


def test_the_graph_sees_known_imports():
    """A guard on the test itself: edges that exist are found."""
    graph = import_graph()
    assert graph.has_edge("planner.solve", "planner.cpsat.model")
    assert graph.has_edge("api.app", "api.settings")


def test_no_import_cycle():
    """No module imports, directly or through others, a module that imports it back."""
    cycles = sorted(sorted(cycle) for cycle in nx.simple_cycles(import_graph()))
    assert cycles == []
