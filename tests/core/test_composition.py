"""Layering of terminal/: only the composition root reaches the sandbox or the UI.

terminal/composition.py is the one module of terminal/ that may import `sandbox` or `ui`
(lazily, inside functions); no terminal module imports kivy, cv2 or serial at module level.
"""
from __future__ import annotations

import ast
from pathlib import Path

TERMINAL = Path(__file__).resolve().parents[2] / "terminal"
COMPOSITION = TERMINAL / "composition.py"


def _imports(path: Path, *, module_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_composition_root_imports_sandbox_or_ui():
    reaching = {str(p.relative_to(TERMINAL)) for p in TERMINAL.rglob("*.py") if _imports(p) & {"sandbox", "ui"}}
    assert reaching == {"composition.py"}


def test_composition_root_imports_them_lazily():
    assert not _imports(COMPOSITION, module_level_only=True) & {"sandbox", "ui", "kivy"}


def test_core_never_imports_hardware_or_gui_libraries_at_module_level():
    heavy = {"kivy", "cv2", "serial"}
    offenders = {str(p.relative_to(TERMINAL)) for p in TERMINAL.rglob("*.py")
                 if _imports(p, module_level_only=True) & heavy}
    assert offenders == set()
