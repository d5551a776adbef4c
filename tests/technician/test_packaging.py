"""The installed artifact is the tested one: metadata in pyproject.toml, catalogs and profiles
shipped as package data. (The full proof, a wheel installed in a fresh venv and run from an
empty directory, is scripts/smoke_installed.sh, run first by `bash bootstrap.sh test`.)"""
from __future__ import annotations

import tomllib
from pathlib import Path

import terminal
from terminal.locations import DEFAULT_CONFIG, profiles_dir

ROOT = Path(__file__).resolve().parents[2]


def test_metadata_lives_in_pyproject_and_matches_the_code():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "pos-terminal" and project["version"] == terminal.__version__
    assert project["scripts"]["pos-terminal"] == "terminal.cli.main:entry"
    assert (ROOT / "setup.py").exists()          # the design card requires it (build hooks only)
    assert "version=" not in (ROOT / "setup.py").read_text()


def test_build_compiles_catalogs_and_copies_profiles(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("pos_setup_hooks", ROOT / "setup.py")
    source = (ROOT / "setup.py").read_text().replace('setup(cmdclass={"build_py": BuildWithCatalogs})', "")
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, str(ROOT / "setup.py"), "exec"), module.__dict__)
    hooks = module.BuildWithCatalogs
    hooks._compile_catalogs(tmp_path / "ui" / "locale")
    hooks._copy_profiles(tmp_path / "terminal" / "profiles")
    import gettext

    fr = gettext.translation("pos", localedir=str(tmp_path / "ui" / "locale"), languages=["fr_CA"])
    zh = gettext.translation("pos", localedir=str(tmp_path / "ui" / "locale"), languages=["zh_Hans"])
    assert fr.gettext("Charge") == "Encaisser" and zh.gettext("Charge") == "收款"
    shipped = {p.name for p in (tmp_path / "terminal" / "profiles").iterdir()}
    assert {"demo.toml", "rig.toml", "production.example.toml"} <= shipped


def test_a_checkout_reads_its_profiles_from_config():
    assert profiles_dir() == ROOT / "config" and DEFAULT_CONFIG == ROOT / "config" / "demo.toml"
