"""How `cases` and `routing` depend on each other (docs/architecture.md, "The apps").

Routing builds on cases: its services call the case services, and its step in the case-write
pipeline is registered from its app's `ready()`. Cases reads routing's data only (a case is
visible through the queues of its open item), so the modules of both apps import each other
without a cycle; the ledger and the search index are reached from cases only through the
case-write pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import casedesk

ROOT = Path(casedesk.__file__).parent
CASES = ROOT / "cases"
PIPELINE = "casedesk.cases.services.pipeline"
# The steps that finish a case write: only the pipeline calls them.
FINISHING = ("casedesk.entitlements.services.terms", "casedesk.search.indexing")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(*apps: str) -> dict[str, Path]:
    return {_module(p): p for app in apps for p in sorted((ROOT / app).rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every name `path` imports, at any depth (inside functions too), as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph(*apps: str) -> dict[str, set[str]]:
    """Module → the modules of `apps` it imports (a package's `__init__` is not an edge)."""
    modules = _modules(*apps)
    return {
        name: {
            n
            for n in _imports(path)
            if n in modules and n != name and modules[n].stem != "__init__"
        }
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cases_and_routing_modules_import_no_cycle_when_every_import_is_counted() -> None:
    assert _cycle(_graph("cases", "routing")) is None


def test_the_case_services_import_nothing_of_routing_when_scanned() -> None:
    found = {
        name: sorted(n for n in _imports(path) if n.startswith("casedesk.routing"))
        for name, path in _modules("cases").items()
        if name.startswith("casedesk.cases.services")
    }
    assert {name: names for name, names in found.items() if names} == {}


def test_only_the_pipeline_finishes_writes_when_cases_is_scanned() -> None:
    importers = {
        name
        for name, path in _modules("cases").items()
        if any(n.startswith(FINISHING) for n in _imports(path))
    }
    assert importers == {PIPELINE}
