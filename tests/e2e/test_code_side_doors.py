"""Raw payment codes through side doors (issue #12 item 9): a code typed into the reference, a
code in swapped arguments, a code in argv. The code must never reach the journal or an error
message in clear, and `--code -` keeps it out of `ps`."""
from __future__ import annotations

import pytest
import requests

from terminal.demo_codes import code_for
from tests.support import cli_json, files_under, run_cli


def _no_raw(code: str, *roots) -> None:
    for path in files_under(*roots):
        assert code.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("reference", ["order {code}", "{spaced}", "{fullwidth}"])
def test_a_code_in_the_reference_is_refused_and_never_stored(config_path, tmp_path, reference):
    code = code_for("0000")
    spaced = " ".join(code[i:i + 4] for i in range(0, len(code), 4))
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in code)
    text = reference.format(code=code, spaced=spaced, fullwidth=fullwidth)
    proc = run_cli(config_path, "sale", "--amount", "2.00", "--reference", text, "--code", code_for("0000"))
    assert proc.returncode == 2 and "looks like a customer's payment code" in proc.stderr
    assert code not in proc.stderr + proc.stdout
    _rc, listed = cli_json(config_path, "transactions")
    assert listed.get("transactions", []) == []
    _no_raw(code, tmp_path)


def test_swapped_arguments_never_echo_the_code(config_path):
    code = code_for("0000")
    for args in (["--amount", code, "--code", "12.50"], ["--amount", "1.00", "--currency", code, "--code", code],
                 ["--amount", "1.00", "--tip", code, "--code", code]):
        proc = run_cli(config_path, "sale", *args)
        assert proc.returncode == 2, proc.stderr
        assert code not in proc.stderr + proc.stdout and code[:6] in proc.stderr
    for args in (["transactions", code], ["cancel", code], ["refund", code, "--pin-file", "/nonexistent"]):
        proc = run_cli(config_path, *args)
        assert proc.returncode in (2, 3) and code not in proc.stderr + proc.stdout, proc.stderr


def test_code_from_stdin_keeps_it_out_of_argv(config_path, sandbox):
    code = code_for("0000")
    proc = run_cli(config_path, "--json", "sale", "--amount", "4.00", "--code", "-", input=code + "\n")
    assert proc.returncode == 0, proc.stderr
    assert '"APPROVED"' in proc.stdout and code not in proc.stdout
    empty = run_cli(config_path, "sale", "--amount", "4.00", "--code", "-", input="")
    assert empty.returncode == 2 and "standard input was empty" in empty.stderr


def test_control_api_refuses_a_code_reference_and_masks_codes_in_errors(sandbox, tmp_path):
    from tests.control.conftest import serve_terminal, stop_served
    from tests.support import write_terminal_config

    served = serve_terminal(write_terminal_config(tmp_path, sandbox, control={"enabled": True}))
    try:
        code = code_for("0000")
        r = requests.post(f"{served.url}/v1/sales", headers=served.headers(), timeout=10,
                          json={"amount": {"currency": "USD", "value": "100"}, "reference": f"table 4 {code}",
                                "idempotencyKey": "K-code"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_REFERENCE" and code not in r.text
        missing = requests.get(f"{served.url}/v1/transactions/{code}", headers=served.headers(), timeout=10)
        assert missing.status_code == 404 and code not in missing.text and code[:6] in missing.text
        assert served.terminal.events.last_seq() == 0 or all(
            code not in str(e) for e in served.terminal.events.since(0, 1000))
    finally:
        stop_served(served)
    _no_raw(code, tmp_path)
