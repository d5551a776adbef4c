"""The repository stands alone: every relative link in its documents resolves inside it, and
nothing (code, tests, docs, configuration, scripts) points at an absolute path outside it.

Someone who clones only this repository must be able to read every document it links to and
run every test.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".sh", ".json", ".kv", ".cfg", ".ini", ".txt", ".service"}
OUTSIDE = re.compile(r"(?:/work/)|\.\./shared|shared/spec/")   # this line names what it forbids


SKIP_DIRS = {".git", ".venv", "venv", "build", "dist", "node_modules", "__pycache__", ".pytest_cache",
             ".mypy_cache", ".ruff_cache", ".hypothesis"}


def _tracked() -> list[Path]:
    """The repository's files (git's view when there is one, else a walk skipping build output)."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True, timeout=60).stdout
        return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]
    except (OSError, subprocess.SubprocessError):
        return [p for p in ROOT.rglob("*") if p.is_file()
                and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts)
                and not any(part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)]


def test_relative_links_in_documents_resolve():
    broken = []
    for doc in (p for p in _tracked() if p.suffix == ".md"):
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):       # https:, mailto: ...
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_contracts_are_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/acquirer-api.md", "docs/terminal-interfaces.md"):
        assert (ROOT / doc).is_file() and f"]({doc})" in readme


def test_no_path_outside_the_repository():
    this = Path(__file__).resolve()
    found = []
    for path in _tracked():
        if path.suffix not in TEXT_SUFFIXES or path.resolve() == this:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert found == []
