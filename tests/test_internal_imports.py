"""Every import of our own modules names something that exists, including the lazy ones.

Commands import their heavy parts inside the function body, so a misspelt or removed name
there passes `--help`, ruff and the import contracts and only fails when a user runs the
command (`supportbot eval routing` did, once). This walks every `from bot|adapters|knowledge
... import name` in the shipped code, wherever it sits, and resolves it.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "adapters", "knowledge")


def _internal_imports() -> list[tuple[str, int, str, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.level == 0
                    and node.module
                    and node.module.split(".")[0] in PACKAGES
                ):
                    where = str(path.relative_to(ROOT))
                    found += [(where, node.lineno, node.module, a.name) for a in node.names]
    return found


IMPORTS = _internal_imports()


def test_the_walk_sees_the_lazy_imports_of_the_commands() -> None:
    assert ("bot.runtime", "knowledge_config") in {(m, n) for _, _, m, n in IMPORTS}
    assert len(IMPORTS) > 200


@pytest.mark.parametrize("package", PACKAGES)
def test_every_internal_import_resolves(package: str) -> None:
    broken = []
    for where, line, module_name, name in IMPORTS:
        if not where.startswith(package + "/"):
            continue
        module = importlib.import_module(module_name)
        if name == "*" or hasattr(module, name):
            continue
        try:
            importlib.import_module(f"{module_name}.{name}")  # a submodule
        except ImportError:
            broken.append(f"{where}:{line}: {module_name} has no {name}")
    assert not broken, "\n".join(broken)
