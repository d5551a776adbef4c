"""Smoke test of an INSTALLED pos-terminal (run by scripts/smoke_installed.sh with the fresh
venv's python, from a directory without the sources): the artifact a kiosk runs is the one
tested. Exits non-zero with the reason on the first failure."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def cli(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "pos-terminal"), *args], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)


def main() -> int:
    import terminal
    import ui

    site = Path(terminal.__file__).resolve().parent.parent
    check(Path(sys.prefix) in Path(terminal.__file__).resolve().parents, f"terminal imported from the venv ({site})")
    check(not (Path.cwd() / "terminal").exists(), "running outside the source tree")
    check(not any(p.name.startswith("__editable__") for p in site.iterdir()), "installed non-editable")

    from terminal.config import DEFAULT_CONFIG, load_config

    profiles = resources.files("terminal") / "profiles"
    check(all((profiles / n).is_file() for n in ("demo.toml", "rig.toml", "production.example.toml")),
          "profiles shipped as package data")
    check(DEFAULT_CONFIG.is_relative_to(site), f"default profile read from the package ({DEFAULT_CONFIG})")
    check(load_config(None).acquirer.embedded, "default profile loads")

    from ui import i18n

    check(i18n.packaged_catalogs() is not None, "compiled catalogs shipped in the wheel")
    with tempfile.TemporaryDirectory() as cache:
        os.environ[i18n.CACHE_ENV] = str(Path(cache) / "never-used")   # nothing compiled at run time
        i18n.set_language("fr_CA")
        check(i18n._("Charge") == "Encaisser", f"French UI string ({i18n._('Charge')!r})")
        i18n.set_language("zh_Hans")
        check(i18n._("Charge") == "收款", f"Chinese UI string ({i18n._('Charge')!r})")
        check(not (Path(cache) / "never-used").exists(), "no catalog compiled at run time")
    check(Path(ui.__file__).parent.joinpath("screens").is_dir(), "UI screens shipped")

    with tempfile.TemporaryDirectory() as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POS_TERMINAL")}
        env["POS_TERMINAL_STATE_DIR"] = str(Path(work) / "state")
        proc = cli("--help", env=env)
        check(proc.returncode == 0 and "rotate-key" in proc.stdout, "pos-terminal --help")
        proc = cli("demo", "--headless", env=env, timeout=180)
        check(proc.returncode == 0 and "demo finished" in proc.stdout,
              f"headless demo (exit {proc.returncode}) {proc.stderr[-300:] if proc.returncode else ''}")
        zh = Path(work) / "zh.toml"
        zh.write_text(DEFAULT_CONFIG.read_text(encoding="utf-8").replace('locale = "en_US"', 'locale = "zh_Hans"'),
                      encoding="utf-8")
        env["POS_TERMINAL_STATE_DIR"] = str(Path(work) / "state-zh")
        from terminal.demo_codes import code_for

        proc = cli("--config", str(zh), "sale", "--amount", "12.50", "--code", code_for("0000"), env=env)
        receipts = Path(work) / "state-zh" / "receipts.txt"
        text = receipts.read_text(encoding="utf-8") if receipts.exists() else ""
        check(proc.returncode == 0 and "消费" in text and "合计" in text,
              f"Chinese receipt (exit {proc.returncode}; {len(text)} chars) {proc.stderr[-300:]}")
    if failures:
        print(f"smoke test of the installed wheel FAILED: {failures}", file=sys.stderr)
        return 1
    print("smoke test of the installed wheel passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
