"""How the project's modules import each other: no cycles, the core free of HTTP and maps,
and a command line that starts light.

The import graph is read from the source with :mod:`ast` (every ``import`` statement,
also those inside functions, apart from ``if TYPE_CHECKING:`` blocks), so a cycle hidden
behind a function-level import counts as a cycle too.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("spatial", "layers", "maps", "api")
#: What `pishraft --help` and the light commands (`db status`, `layers list`, `users list`) never load.
HEAVY = ("geopandas", "folium", "esda", "rasterio", "mapclassify", "libpysal", "maps", "layers")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements in ``node``, leaving out those under ``if TYPE_CHECKING:``."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    children: list[ast.AST] = list(ast.iter_child_nodes(node))
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        children = list(node.orelse)
    for child in children:
        yield from _runtime_imports(child)


def import_graph() -> dict[str, set[str]]:
    """Project module → the project modules it imports."""
    paths = {_module_name(p): p for package in PACKAGES for p in (REPO / package).rglob("*.py")}

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: set[str | None] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            targets.update(known(f"{base}.{alias.name}") for alias in node.names)
        graph[module] = {t for t in targets if t and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group: list[str] = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_project_module_imports_itself_through_others() -> None:
    graph = import_graph()
    assert "spatial.analytics.indices" in graph
    assert cycles(graph) == []


def test_the_core_imports_no_http_and_no_maps() -> None:
    graph = import_graph()
    leaks = {m: sorted(t for t in targets if t.split(".")[0] in ("api", "maps"))
             for m, targets in graph.items() if m.startswith("spatial")}
    assert {m: t for m, t in leaks.items() if t} == {}


def test_importing_the_cli_loads_no_heavy_dependency() -> None:
    probe = ("import json, sys; import api.cli; "
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                                           text=True, check=True).stdout))
    assert "api" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))


_RUN_AND_LIST_MODULES = """
import json, sys
from api.cli import app
try:
    app(sys.argv[2:], prog_name="pishraft")
except SystemExit as done:
    if done.code:
        raise
with open(sys.argv[1], "w") as out:
    json.dump(sorted({m.split(".")[0] for m in sys.modules}), out)
"""


@pytest.mark.parametrize("command", [["--help"], ["db", "status"], ["layers", "list"], ["users", "list"]],
                         ids=" ".join)
def test_a_light_command_loads_no_heavy_dependency(command: list[str], database_url: str, tmp_path: Path) -> None:
    modules = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", _RUN_AND_LIST_MODULES, str(modules), *command], cwd=REPO,
                   capture_output=True, text=True, check=True)
    loaded = set(json.loads(modules.read_text()))
    assert loaded.isdisjoint(HEAVY), sorted(loaded.intersection(HEAVY))
