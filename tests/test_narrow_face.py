"""The front ends talk to the core only through the Terminal face (terminal/service.py).

The touchscreen (ui/), the CLI (terminal/cli/), the control API (terminal/control/), the fleet
agent (terminal/fleet/), the checkout and the watchdog call the face's intent methods and its
sub-faces (`terminal.receipts`, `terminal.access`, `terminal.settings`, `terminal.upkeep`, ...). They never reach
the journal, a private attribute, or a collaborator the builder handed the terminal: a money
rule or a receipt policy written again in a front end is how the copies came to disagree
(issue #11). Nor do they set anything on the terminal or a sub-face: state changes go through
intent methods (`lock`, `unlock`, ...). This check reads the source (no import, no app start), so it costs milliseconds.

What counts as "the terminal" in a module: a name or attribute called `terminal` (`terminal`,
`self.terminal`, `app.terminal`, `api.terminal`), and any local name assigned from one
(`t = self.terminal`, `terminal, checkout = api.terminal, api.checkout`).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = ("ui", "terminal/cli", "terminal/control", "terminal/fleet")
CORE_CALLERS = ("terminal/checkout.py", "terminal/watchdog.py")


def _front_end_files() -> list[Path]:
    files = [p for d in FRONT_ENDS for p in sorted((ROOT / d).rglob("*.py"))]
    return files + [ROOT / p for p in CORE_CALLERS]


def _public_face() -> set[str]:
    """What the Terminal class itself declares: methods, properties and sub-faces (read from the
    source: instance attributes set in __init__ are collaborators, not part of the face)."""
    tree = ast.parse((ROOT / "terminal" / "service.py").read_text())
    face = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Terminal")
    names = {n.name for n in face.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    names |= {t.id for n in face.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    names |= {n.target.id for n in face.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
    return {n for n in names if not n.startswith("_")}


CONFIG_NAMES = ("conf", "cfg", "settings")        # `config.terminal` is the [terminal] section
CONFIG_SHORT = {"c", "d", "base", "data", "raw", "section", "doc"}


def _last_name(node: ast.AST) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.attr if isinstance(node, ast.Attribute) else getattr(node, "func", getattr(node, "value", None))
        if isinstance(node, str):
            return node
    return node.id if isinstance(node, ast.Name) else ""


def _is_terminal(node: ast.AST, aliases: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "terminal" or node.id in aliases
    if not (isinstance(node, ast.Attribute) and node.attr == "terminal"):
        return False
    base = _last_name(node.value).lower()
    return not (any(word in base for word in CONFIG_NAMES) or base in CONFIG_SHORT)


def _aliases(tree: ast.AST) -> set[str]:
    """Local names bound to the terminal (`t = self.terminal`; tuple unpacking too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = [(target, node.value)]
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts, strict=False))
            for name, value in pairs:
                if isinstance(name, ast.Name) and _is_terminal(value, set()):
                    names.add(name.id)
    return names


def reaches_through(source: str, face: set[str]) -> list[tuple[int, str]]:
    """(line, what) for each use of the terminal that is not the face, and every `.journal`."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        for target in targets:          # no front end sets state on the terminal or a sub-face
            base = target.value if isinstance(target, ast.Attribute) else None
            if base is not None and (_is_terminal(base, aliases) or (
                    isinstance(base, ast.Attribute) and _is_terminal(base.value, aliases))):
                found.append((target.lineno, f"{ast.unparse(target)} = ..."))
        if isinstance(node, ast.Attribute):
            if node.attr == "journal":
                found.append((node.lineno, ".journal"))
            elif _is_terminal(node.value, aliases) and node.attr not in face:
                found.append((node.lineno, f"terminal.{node.attr}"))
            elif (isinstance(node.value, ast.Attribute) and _is_terminal(node.value.value, aliases)
                  and node.value.attr in face and node.attr.startswith("_")):
                found.append((node.lineno, f"terminal.{node.value.attr}.{node.attr}"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2
              and _is_terminal(node.args[0], aliases) and isinstance(node.args[1], ast.Constant)
              and node.args[1].value not in face):
            found.append((node.lineno, f"{node.func.id}(terminal, {node.args[1].value!r})"))
    return found


# The whole (frozen) Config is for the technician tools that act on the configuration itself.
CONFIGURATION_USERS = {"terminal/fleet/commands.py"}


def test_only_the_fleet_commands_read_the_whole_configuration():
    users = {str(p.relative_to(ROOT)) for p in _front_end_files() if ".configuration()" in p.read_text()}
    assert users <= CONFIGURATION_USERS, "front ends read terminal.settings, not upkeep.configuration()"


def test_front_ends_use_only_the_terminal_face():
    face = _public_face()
    offenders = [f"{path.relative_to(ROOT)}:{line}: {what}"
                 for path in _front_end_files() for line, what in reaches_through(path.read_text(), face)]
    assert offenders == [], ("front ends must call the Terminal face's intent methods (terminal/service.py); "
                             "add an intent method there instead of reaching through:\n" + "\n".join(offenders))


def test_the_check_sees_the_ways_around_the_face():
    """The check itself: each way of reaching past the face is caught, the face is not."""
    face = {"sale", "receipts", "settings"}
    lines = [
        "terminal.journal.note('T1', 'x')",          # 1 the journal
        "self.terminal._pins.check('manager', p)",    # 2 a private collaborator
        "t = app.terminal",
        "t.config.terminal.currency",                 # 4 through an alias
        "a, b = api.terminal, api.checkout",
        "a._exclusive()",                             # 6 tuple-unpacked alias
        "getattr(terminal, 'mailer', None)",          # 7 by name
        "terminal.receipts._printer",                 # 8 behind a sub-face
        "terminal.sale(x, code)",                     # the face: fine
        "terminal.receipts.print(tx)",
        "checkout.journal_alive",                     # not the terminal, not .journal: fine
        "terminal.sale = fake_sale",                  # 12 set on the face
        "terminal.receipts.email_enabled = True",     # 13 set on a sub-face
        "config.terminal.currency",                   # the [terminal] section of a Config: fine
        "self.app.config_.terminal.locale",
    ]
    source = "\n".join(lines)
    assert sorted(line for line, _ in reaches_through(source, face)) == [1, 2, 4, 6, 7, 8, 12, 13]
