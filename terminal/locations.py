"""Where the shipped configuration lives, which variable moves the state directory, and how
the state directory is found.

Kept apart from config.py (pydantic) so the command line can name these in its help text,
and a read-only command can find the journal, without importing the configuration models:
`pos-terminal --help` and `pos-terminal transactions` stay quick on a slow device.
"""
from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path

from .errors import FaultError


def profiles_dir() -> Path:
    """The shipped profiles: terminal/profiles/ inside an installed wheel (copied from config/ at
    build time by setup.py, read through importlib.resources), else config/ of a source checkout."""
    packaged = resources.files("terminal") / "profiles"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "config"


CONFIG_DIR = profiles_dir()
DEFAULT_CONFIG = CONFIG_DIR / "demo.toml"
STATE_DIR_ENV = "POS_TERMINAL_STATE_DIR"


MAX_CONFIG_BYTES = 1024 * 1024


def read_toml(path: Path | str | None) -> tuple[dict, Path]:
    """The configuration file's table and its resolved path (by default: a provisioned state
    directory's own configuration, else the shipped demo; see default_config_path)."""
    path = Path(path) if path else default_config_path()
    try:
        if path.exists() and not path.is_file():
            what = "a directory" if path.is_dir() else "not a regular file"
            raise FaultError(f"configuration file {path} is {what}: pass --config with the path of the .toml file",
                             code="CONFIG")
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise FaultError(f"configuration file {path} is over {MAX_CONFIG_BYTES // 1024} KiB: a configuration "
                             "is a few KiB of TOML; check that --config names the right file", code="CONFIG")
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise FaultError(f"configuration file {path} not found: pass --config PATH", code="CONFIG") from None
    except UnicodeDecodeError as exc:
        raise FaultError(f"configuration file {path} is not a text file (byte {exc.start} is not UTF-8 text): "
                         "pass --config with the .toml file", code="CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise FaultError(f"{path}: not valid TOML ({exc})", code="CONFIG") from None
    except RecursionError:
        raise FaultError(f"configuration file {path} nests too deeply to be a configuration: see config/README.md "
                         "for its sections", code="CONFIG") from None
    except OSError as exc:
        raise FaultError(f"configuration file {path} cannot be read ({exc.strerror or exc}): check the path and "
                         "its permissions", code="CONFIG") from None
    return data, path.resolve()


def default_config_path() -> Path:
    """Without --config: a provisioned state directory's own configuration (the one recorded in
    its identity stamp, else /etc/pos-terminal/terminal.toml), never the demo profile; the demo
    profile only where nothing is provisioned."""
    from .identity import default_config_path as provisioned_config

    return provisioned_config(state_dir_of(None, None)) or DEFAULT_CONFIG


def state_dir_of(configured: str | None, source: Path | None) -> Path:
    """$POS_TERMINAL_STATE_DIR, else storage.state_dir (relative to the configuration file),
    else the platform's per-user data directory."""
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        return Path(env)
    if configured:
        p = Path(configured).expanduser()
        if p.is_absolute() or source is None:
            return p
        return (source.parent / p).resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("pos-terminal", appauthor=False))


def journal_path(config_path: Path | str | None) -> Path:
    """The journal of the terminal this configuration describes, read from the file's
    ``storage.state_dir`` alone (the other sections are validated by the commands that use
    them; a mistyped state_dir is reported the same way as by the full configuration)."""
    data, source = read_toml(config_path)
    storage = data.get("storage", {})
    configured = storage.get("state_dir") if isinstance(storage, dict) else None
    if configured is not None and not isinstance(configured, str):
        raise FaultError(f"{source}: invalid configuration:\nstorage.state_dir: Input should be a valid string",
                         code="CONFIG")
    return state_dir_of(configured or None, source) / "journal.sqlite"
