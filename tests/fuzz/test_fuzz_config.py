"""Configuration files, generated: TOML documents shaped like the configuration (real sections
and keys, values of every TOML type, unknown keys) and raw bytes. Loading gives a Config or a
CONFIG fault (exit 3) that names the file; nothing else."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from terminal.config import load_config
from terminal.errors import FaultError

from .config_strategies import config_documents, raw_files
from .conftest import EXAMPLES


def _load(path, tally, kind: str) -> None:
    try:
        load_config(path)
        tally.add("configuration files", f"{kind}: loaded")
    except FaultError as exc:
        assert exc.code == "CONFIG" and exc.exit_code == 3 and str(path) in exc.message, exc.message
        tally.add("configuration files", f"{kind}: refused")


@settings(max_examples=EXAMPLES * 6, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=config_documents)
def test_generated_toml(tmp_path, tally, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    _load(path, tally, "TOML")


@settings(max_examples=EXAMPLES * 6, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=raw_files)
def test_raw_bytes(tmp_path, tally, raw):
    path = tmp_path / "c.toml"
    path.write_bytes(raw)
    _load(path, tally, "bytes")
