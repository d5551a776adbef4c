"""Unreadable configuration files (issue #12 item 8): a binary file, a directory, deep nesting,
an oversized file, a FIFO. Each is a clear exit-3 error naming the file, never a traceback
(generated TOML documents and raw bytes: tests/fuzz/test_fuzz_config.py)."""
from __future__ import annotations

import os

import pytest

from terminal.config import load_config
from terminal.errors import FaultError
from tests.support import run_cli


def _bad_files(tmp_path):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(256)) * 8)
    directory = tmp_path / "adir.toml"
    directory.mkdir()
    deep_array = tmp_path / "deep_array.toml"
    deep_array.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    deep_inline = tmp_path / "deep_inline.toml"
    deep_inline.write_text("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n")
    deep_tables = tmp_path / "deep_tables.toml"
    deep_tables.write_text("[" + ".".join(["t"] * 5000) + "]\nx = 1\n")
    huge = tmp_path / "huge.toml"
    huge.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    return {"binary": binary, "directory": directory, "deep_array": deep_array, "deep_inline": deep_inline,
            "deep_tables": deep_tables, "huge": huge, "fifo": fifo}


KINDS = ["binary", "directory", "deep_array", "deep_inline", "deep_tables", "huge", "fifo"]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_config_file_is_a_config_fault_naming_the_file(tmp_path, kind):
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(FaultError) as info:
        load_config(path)
    assert info.value.code == "CONFIG" and info.value.exit_code == 3
    assert str(path) in info.value.message


@pytest.mark.parametrize("kind", ["binary", "directory", "deep_array"])
def test_cli_exits_3_with_one_clear_line(tmp_path, kind):
    path = _bad_files(tmp_path)[kind]
    proc = run_cli(path, "transactions", timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert str(path) in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
