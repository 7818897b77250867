"""The layout ARCHITECTURE.md draws, held by the code: apps import only the apps below them,
no app reaches into another's forms, views or api, modules import each other without
circles, and an import hidden in a function body says why it is there."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Bottom to top: each app may import the apps before it in this list, never those after.
LAYERS = list(settings.PROJECT_APPS)
# The one part of metrics that apps below it may read.
LEAVES = {"metrics.registry"}
# Where the product is put together: these may import any app.
ENTRY_POINTS = ("socialops.urls", "socialops.wsgi", "socialops.management.")
PRIVATE_TO_A_FOLDER = {"forms", "views", "api"}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    line: int
    in_function: bool


def _modules() -> dict[str, Path]:
    found = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                targets = [
                    f"{child.module}.{alias.name}"
                    if f"{child.module}.{alias.name}" in MODULES
                    else child.module
                    for alias in child.names
                ]
            for target in targets:
                resolved = _resolve(target)
                if resolved and resolved != name:
                    found.append(Import(name, resolved, child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


# One entry per (module, target, line): `from a import b, c` names module a once.
IMPORTS = list(
    dict.fromkeys(found for name, path in MODULES.items() for found in _imports(name, path))
)


def _app(module: str) -> str:
    return module.split(".")[0]


def _folder(module: str) -> str:
    """The app or concept folder a module belongs to (Django's templatetags and
    management packages belong to the folder that holds them)."""
    folder = module.rpartition(".")[0]
    for django_package in (".management.commands", ".management", ".templatetags"):
        folder = folder.removesuffix(django_package)
    return folder


def _where(found: Import) -> str:
    return f"{MODULES[found.importer].relative_to(ROOT)}:{found.line} imports {found.target}"


def test_the_scan_sees_the_apps():
    # A scan that found nothing would pass every test below.
    assert {_app(m) for m in MODULES} == set(LAYERS)
    assert len(IMPORTS) > 300


def test_apps_import_only_the_apps_below_them():
    wrong = [
        _where(found)
        for found in IMPORTS
        if LAYERS.index(_app(found.target)) > LAYERS.index(_app(found.importer))
        and found.target not in LEAVES
        and not found.importer.startswith(ENTRY_POINTS)
    ]
    assert wrong == []


def test_the_metric_registry_is_a_leaf():
    assert [_where(found) for found in IMPORTS if found.importer in LEAVES] == []


def test_forms_views_and_api_are_used_only_in_their_own_folder():
    """A concept's forms, views and api serve its own pages and endpoints; what another
    folder needs from them belongs in services, selectors or socialops/ (whose forms, api
    and views modules are the shared helpers)."""
    wrong = [
        _where(found)
        for found in IMPORTS
        if found.target.rpartition(".")[2] in PRIVATE_TO_A_FOLDER
        and _app(found.target) != "socialops"  # the shared helpers' home
        and _folder(found.target) != _folder(found.importer)
        and not found.importer.startswith(ENTRY_POINTS)
    ]
    assert wrong == []


def test_no_module_imports_a_private_name_of_another():
    wrong = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and _resolve(node.module):
                wrong += [
                    f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and node.module != name
                ]
    assert wrong == []


def test_module_imports_draw_no_circle():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for found in IMPORTS:
        if not found.in_function:
            graph[found.importer].add(found.target)
    circles, state = [], dict.fromkeys(graph, "new")

    def walk(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state[target] == "open":
                circles.append([*trail[trail.index(target) :], target])
            elif state[target] == "new":
                walk(target, [*trail, target])
        state[node] = "done"

    for node in sorted(graph):
        if state[node] == "new":
            walk(node, [node])
    assert circles == []


@pytest.mark.parametrize("found", [f for f in IMPORTS if f.in_function], ids=_where)
def test_an_import_in_a_function_says_why(found):
    """Only a real cycle (or Django's start-up order) keeps an import inside a function,
    and then a comment just above it names the reason."""
    lines = MODULES[found.importer].read_text().splitlines()
    above = found.line - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ", ")")):
        above -= 1
    assert lines[above].strip().startswith("#"), _where(found)
