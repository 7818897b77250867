"""Dependencies point one way: departments sits below metrics and reads only its metric
registry, a leaf module without project imports (ARCHITECTURE.md, "Apps")."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROJECT_PACKAGES = {p.parent.name for p in ROOT.glob("*/__init__.py")}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, whether the import is inside a function) for each import."""
    tree = ast.parse(path.read_text())
    nested = {
        id(node)
        for func in ast.walk(tree)
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(func)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, id(node) in nested))
    return found


def sources(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def test_departments_reads_only_the_metric_registry():
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sources("departments")
        for module, _ in imports(path)
        if module.split(".")[0] == "metrics" and module != "metrics.registry"
    ]
    assert found == []


def test_the_metric_registry_imports_nothing_of_the_project():
    found = [
        module
        for module, _ in imports(ROOT / "metrics" / "registry.py")
        if module.split(".")[0] in PROJECT_PACKAGES
    ]
    assert found == []


def test_no_import_inside_a_function():
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for app in ("departments", "metrics")
        for path in sources(app)
        for module, in_function in imports(path)
        if in_function
    ]
    assert found == []
