"""The sandbox is an independent oracle (ARCHITECTURE.md): it imports nothing of the terminal.

If it shared the terminal's signing, money or wallet code, a bug there would be on both sides
of every end-to-end and crash test, and no test could see it.
"""
from __future__ import annotations

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"
FOREIGN = ("terminal", "drivers", "ui")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_sandbox_imports_nothing_of_the_terminal():
    modules = sorted(SANDBOX.glob("*.py"))
    assert len(modules) > 10
    offenders = {p.name: sorted(n for n in _imports(p) if n.split(".")[0] in FOREIGN) for p in modules}
    assert {name: found for name, found in offenders.items() if found} == {}
