#!/usr/bin/env python3
"""Dependency audit (CI): every installed distribution's version against known advisories.

    python scripts/audit_deps.py                  # the curated list (security/advisories.toml)
    python scripts/audit_deps.py --feed           # plus pip-audit against OSV; fails if unreachable
    python scripts/audit_deps.py --json           # machine-readable

Exit 0: no installed version is affected. 1: some are (each named, with the fixed version).
2: the audit could not do its job (no advisory list, a list older than its max_age_days, too
few distributions found, or --feed and the feed unreachable): it never passes silently.
Why a curated list and not a feed: see the header of security/advisories.toml.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
ADVISORIES = ROOT / "security" / "advisories.toml"
MIN_DISTRIBUTIONS = 10          # fewer means the audit is looking at the wrong environment


class AuditError(Exception):
    """The audit cannot vouch for anything (exit 2)."""


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    fixed: str
    summary: str


def installed() -> dict[str, str]:
    """{canonical name: version} of every distribution in this interpreter's environment."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[canonicalize_name(name)] = dist.version
    return found


def load_advisories(path: Path = ADVISORIES, *, today: dt.date | None = None) -> tuple[list[dict], dict]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditError(f"cannot read the advisory list {path} ({exc})") from None
    try:
        updated = dt.date.fromisoformat(data["updated"])
        max_age = int(data["max_age_days"])
        entries = list(data["advisory"])
    except (KeyError, TypeError, ValueError) as exc:
        raise AuditError(f"{path}: needs updated (YYYY-MM-DD), max_age_days and [[advisory]] entries ({exc})") from None
    age = ((today or dt.date.today()) - updated).days
    if age > max_age:
        raise AuditError(f"{path} was last reviewed {age} days ago (limit {max_age}): review it against the "
                         "current advisories (PyPA advisory-database, OSV) and bump `updated`")
    for e in entries:
        try:
            SpecifierSet(e["affected"])
            e["package"], e["id"], e["fixed"]
        except (KeyError, InvalidSpecifier) as exc:
            raise AuditError(f"{path}: bad advisory entry {e!r} ({exc})") from None
    return entries, {"updated": str(updated), "ageDays": age, "count": len(entries)}


def check(versions: dict[str, str], advisories: list[dict]) -> list[Finding]:
    findings = []
    for adv in advisories:
        name = canonicalize_name(adv["package"])
        if name not in versions:
            continue
        try:
            version = Version(versions[name])
        except InvalidVersion:
            raise AuditError(f"{name} {versions[name]}: not a PEP 440 version, cannot be checked") from None
        if SpecifierSet(adv["affected"]).contains(version, prereleases=True):
            findings.append(Finding(name, versions[name], adv["id"], adv["fixed"], adv.get("summary", "")))
    return findings


def feed_audit() -> str:
    """pip-audit against OSV for this environment; AuditError when it cannot reach the feed."""
    try:
        proc = subprocess.run([sys.executable, "-m", "pip_audit", "--vulnerability-service", "osv", "--progress-spinner",
                               "off", "--strict"], capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AuditError(f"pip-audit could not run ({exc})") from None
    if "No module named pip_audit" in proc.stderr:
        raise AuditError("--feed needs pip-audit: pip install pip-audit")
    if proc.returncode not in (0, 1) or "ConnectionError" in proc.stderr or "NameResolutionError" in proc.stderr:
        last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "(no output)"
        raise AuditError(f"the OSV feed is not reachable from here, so nothing was checked against it: {last}")
    if proc.returncode == 1:
        raise AuditError("pip-audit (OSV) found vulnerable versions:\n" + proc.stdout)
    return proc.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisories", type=Path, default=ADVISORIES)
    parser.add_argument("--feed", action="store_true", help="also run pip-audit against OSV (needs the network)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        advisories, meta = load_advisories(args.advisories)
        versions = installed()
        if len(versions) < MIN_DISTRIBUTIONS:
            raise AuditError(f"only {len(versions)} distributions found in {sys.prefix}: run it with the "
                             "project's virtualenv (.venv/bin/python scripts/audit_deps.py)")
        findings = check(versions, advisories)
        feed = feed_audit() if args.feed else None
    except AuditError as exc:
        print(f"DEPENDENCY AUDIT FAILED TO RUN: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"distributions": len(versions), "advisories": meta, "feed": feed is not None,
                          "findings": [f.__dict__ for f in findings]}, indent=2))
    else:
        print(f"dependency audit: {len(versions)} installed distributions checked against {meta['count']} "
              f"advisories in {args.advisories.relative_to(ROOT) if args.advisories.is_relative_to(ROOT) else args.advisories} "
              f"(reviewed {meta['updated']}, {meta['ageDays']} days ago)")
        if feed is None:
            print("NOTE: no live advisory feed was consulted (the registry here has no vulnerability API and OSV "
                  "is unreachable): advisories published after the review date are NOT covered; run with --feed "
                  "where the network allows")
        for f in findings:
            print(f"VULNERABLE {f.package} {f.version}: {f.id} (fixed in {f.fixed}) {f.summary}")
        print(f"{len(findings)} vulnerable" if findings else "no installed version is affected")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
