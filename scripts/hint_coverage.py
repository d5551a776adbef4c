"""Type-hint coverage: the share of function signatures that are fully annotated, per package.

Why: mypy checks the body of an unannotated function only loosely (its arguments are ``Any``), so
a signature without hints is where type errors go unseen. This counts, for each package, the
functions and methods whose every parameter (but a method's ``self``/``cls``) and return value
carry an annotation (``__init__`` needs no return annotation: it is always ``None``).

    python scripts/hint_coverage.py                   # terminal drivers ui sandbox fleet
    python scripts/hint_coverage.py ui sandbox --missing   # and list the functions that lack hints

Reads the sources as text (``ast``); imports nothing from them.
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("terminal", "drivers", "ui", "sandbox", "fleet")
ROOT = Path(__file__).resolve().parent.parent

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Signature:
    path: Path
    line: int
    name: str
    annotated: bool


def _is_method(node: FunctionNode, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.ClassDef) and not any(
        isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)


def fully_annotated(node: FunctionNode, *, is_method: bool) -> bool:
    """Every parameter (a method's first excepted) and the return value have an annotation."""
    args = node.args
    params = [*args.posonlyargs, *args.args]
    if is_method and params:
        params = params[1:]
    params += args.kwonlyargs
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    if any(p.annotation is None for p in params):
        return False
    return node.returns is not None or node.name == "__init__"


def signatures(path: Path) -> Iterator[Signature]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if isinstance(node, FunctionNode):
            yield Signature(path, node.lineno, node.name,
                            fully_annotated(node, is_method=_is_method(node, parents)))


def package_signatures(package: str, root: Path = ROOT) -> list[Signature]:
    return [s for path in sorted((root / package).rglob("*.py")) for s in signatures(path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", default=list(PACKAGES))
    parser.add_argument("--missing", action="store_true", help="list the functions without full hints")
    opts = parser.parse_args(argv)
    total_all = done_all = 0
    for package in opts.packages:
        if not (ROOT / package).is_dir():
            print(f"no package {package!r} under {ROOT}: name one of {', '.join(PACKAGES)}", file=sys.stderr)
            return 2
        sigs = package_signatures(package)
        done = sum(s.annotated for s in sigs)
        total_all, done_all = total_all + len(sigs), done_all + done
        print(f"{package:10s} {done:5d}/{len(sigs):<5d} {100 * done / max(len(sigs), 1):5.1f}%")
        if opts.missing:
            for s in sigs:
                if not s.annotated:
                    print(f"    {s.path.relative_to(ROOT)}:{s.line} {s.name}")
    print(f"{'all':10s} {done_all:5d}/{total_all:<5d} {100 * done_all / max(total_all, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
