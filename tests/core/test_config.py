"""Configuration per terminal-interfaces.md §3: validated, key paths in errors, paths resolved."""
from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import DEFAULT_CONFIG, STATE_DIR_ENV, load_config, parse_config
from terminal.errors import FaultError
from terminal.money import Money


def _write(tmp_path: Path, text: str, name: str = "conf.toml") -> Path:
    path = tmp_path / "profiles" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path, text) -> str:
    with pytest.raises(FaultError) as info:
        load_config(_write(tmp_path, text))
    assert info.value.exit_code == 3 and info.value.code == "CONFIG"
    assert "Traceback" not in info.value.message
    return info.value.message


def test_shipped_demo_profile_loads():
    assert DEFAULT_CONFIG.name == "demo.toml" and DEFAULT_CONFIG.exists()
    config = load_config()
    assert config.acquirer.embedded and config.acquirer.base_url == "embedded"
    assert config.terminal.currency == "USD" and config.terminal.currencies == ["USD", "CAD"]
    assert config.terminal.max_money("USD") == Money("USD", 1_000_000)
    assert config.scanner.kind == "virtual" and config.printer.kind == "file"
    assert config.control.enabled is False
    assert config.source == DEFAULT_CONFIG.resolve()


def test_all_shipped_profiles_load():
    for path in sorted(DEFAULT_CONFIG.parent.glob("*.toml")):
        assert load_config(path).source == path.resolve()


@pytest.mark.parametrize(
    "text, key_path",
    [
        ('[terminal]\ncolour = "red"\n', "terminal.colour"),
        ('[acquirer]\nbase_ulr = "https://x"\n', "acquirer.base_ulr"),
        ('[scaner]\nkind = "virtual"\n', "scaner"),
        ('top = 1\n', "top"),
    ],
)
def test_unknown_keys_are_errors_naming_the_key(tmp_path, text, key_path):
    message = _error(tmp_path, text)
    assert f"{key_path}: unknown key" in message


@pytest.mark.parametrize("url", ["http://acquirer.example/api", "ftp://x", "acquirer.example", ""])
def test_base_url_must_be_https(tmp_path, url):
    message = _error(tmp_path, f'[acquirer]\nbase_url = "{url}"\n')
    assert "acquirer.base_url: must be https://" in message


def test_https_base_url_keeps_prefix_without_trailing_slash():
    config = parse_config({"acquirer": {"base_url": "https://h.example/api/"}})
    assert config.acquirer.base_url == "https://h.example/api" and not config.acquirer.embedded


@pytest.mark.parametrize(
    "text, where",
    [
        ('[terminal]\nlocale = "de_DE"\n', "terminal.locale"),
        ('[terminal]\ncurrencies = ["USD", "XXX"]\n', "terminal.currencies"),
        ('[terminal]\ncurrency = "EUR"\n', "terminal"),
        ('[acquirer]\nkey_version = 0\n', "acquirer.key_version"),
        ('[acquirer]\nread_timeout_s = -1\n', "acquirer.read_timeout_s"),
        ('[scanner]\nsuffix = "CRLFX"\n', "scanner.suffix"),
        ('[control]\nport = 70000\n', "control.port"),
    ],
)
def test_invalid_values_name_their_key_path(tmp_path, text, where):
    message = _error(tmp_path, text)
    assert any(line.startswith(where) for line in message.splitlines()[1:]), message


def test_bad_max_amount_names_its_key_path(tmp_path):
    message = _error(tmp_path, '[terminal]\nmax_amount = "lots"\n')
    assert "terminal.max_amount: " in message


def test_bad_max_amount_is_refused_with_reason(tmp_path):
    message = _error(tmp_path, '[terminal]\nmax_amount = "lots"\n')
    assert "max_amount" in message and "not a plain decimal number" in message


def test_several_errors_reported_together(tmp_path):
    message = _error(tmp_path, '[terminal]\ncolour = 1\n[acquirer]\nbase_url = "http://x"\n')
    assert "terminal.colour" in message and "acquirer.base_url" in message


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(FaultError, match="--config"):
        load_config(tmp_path / "nope.toml")
    message = _error(tmp_path, "[terminal\n")
    assert "not valid TOML" in message


def test_relative_paths_resolve_against_config_file(tmp_path, monkeypatch):
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # the working directory must not matter
    path = _write(tmp_path, '[storage]\nstate_dir = "state"\n[acquirer]\nbase_url = "embedded"\n')
    config = load_config(path)
    assert config.state_dir() == tmp_path / "profiles" / "state"
    assert config.resolve("keys/acquirer.pem") == tmp_path / "profiles" / "keys" / "acquirer.pem"
    assert config.resolve("../ca.pem") == tmp_path / "ca.pem"
    assert config.resolve("/etc/ssl/ca.pem") == Path("/etc/ssl/ca.pem")
    assert config.state_path("receipts.txt") == tmp_path / "profiles" / "state" / "receipts.txt"


def test_state_dir_env_overrides(tmp_path, monkeypatch):
    path = _write(tmp_path, '[storage]\nstate_dir = "state"\n')
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "override"))
    config = load_config(path)
    assert config.state_dir() == tmp_path / "override"
    assert config.state_path("receipts.txt") == tmp_path / "override" / "receipts.txt"
    monkeypatch.setenv(STATE_DIR_ENV, "")
    assert config.state_dir() == tmp_path / "profiles" / "state"


def test_config_is_frozen():
    config = load_config()
    with pytest.raises(Exception):
        config.terminal.currency = "CAD"  # type: ignore[misc]
