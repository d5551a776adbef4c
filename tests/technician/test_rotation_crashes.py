"""Key rotation never bricks a terminal: every crash point, the 24 h window of the previous key,
the running terminal switching live, and diagnose telling the truth.

The invariant after any crash: the terminal still holds a key the acquirer accepts, and the next
`rotate-key` (or the running terminal by itself) ends with the terminal and the acquirer on the
same key version."""
from __future__ import annotations

import json
import time
import tomllib

import pytest

from terminal.config import load_config
from terminal.crashpoints import ROTATION_POINTS
from terminal.demo_codes import code_for
from terminal.diagnostics import run_diagnostics
from terminal.endpoints import client_for
from terminal.errors import UnknownResultError
from terminal.money import Money
from terminal.rotation import NEXT_KEY, RECORD, KeyRotation
from tests.support import admin, build, client_id_of, run_cli

ROTATE = "/v1/terminals/rotateKey"


def _acquirer_keys(sandbox, config) -> dict[int, dict]:
    client = next(c for c in admin(sandbox, "GET", "/clients")["clients"] if c["clientId"] == client_id_of(config))
    return {k["keyVersion"]: k for k in client["keys"]}


def _acquirer_accepts(sandbox, config) -> set[int]:
    """Key versions the acquirer accepts now: the current one and, for 24 h, the one it replaced."""
    keys = _acquirer_keys(sandbox, config)
    out = {v for v, k in keys.items() if k["current"]}
    superseded = [(k["supersededMs"], v) for v, k in keys.items() if k["supersededMs"] is not None]
    if superseded:
        at, version = max(superseded)
        if time.time() * 1000 - at <= 24 * 3600 * 1000:
            out.add(version)
    return out


def _acquirer_current(sandbox, config) -> int:
    return next(v for v, k in _acquirer_keys(sandbox, config).items() if k["current"])


def _toml_version(config) -> int:
    return tomllib.loads(config.read_text())["acquirer"]["key_version"]


def _age_keys(sandbox, config, hours: float = 25) -> None:
    """The acquirer's clock for this client's keys moves `hours` on: the previous key's 24 h end."""
    admin(sandbox, "POST", f"/clients/{client_id_of(config)}/keys/age", json={"hours": hours})


def _sale_state(config) -> str:
    terminal = build(config)
    try:
        return terminal.sale(Money("USD", 100), code_for("0000")).state.value
    finally:
        terminal.close()


def _rotate_in_process(config):
    cfg = load_config(config)
    return KeyRotation(cfg, client=client_for(cfg)).run()


def _lost_answer(sandbox, config) -> bytes:
    """A rotation the acquirer took but whose answer was lost; returns the pending new key."""
    sandbox.set_faults(kind="drop_after", path=ROTATE, count=1)
    with pytest.raises(UnknownResultError):
        _rotate_in_process(config)
    assert _acquirer_current(sandbox, config) == 2
    return (config.parent / NEXT_KEY).read_bytes()


def test_retry_after_the_24h_window_finishes_with_the_new_key(sandbox, provisioned):
    """The field bug: the old code deleted the new key here (KEY_NOT_FOUND), bricking the terminal."""
    state = provisioned.parent
    new_key = _lost_answer(sandbox, provisioned)
    _age_keys(sandbox, provisioned)                       # the old key is refused from now on
    proc = run_cli(provisioned, "--json", "rotate-key")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["keyVersion"] == 2
    assert (state / "terminal_key.pem").read_bytes() == new_key
    assert not (state / NEXT_KEY).exists() and not (state / RECORD).exists()
    assert _toml_version(provisioned) == 2
    assert _sale_state(provisioned) == "APPROVED"


def test_neither_key_accepted_keeps_both_and_says_do_not_reset(sandbox, provisioned):
    state = provisioned.parent
    old_key = (state / "terminal_key.pem").read_bytes()
    sandbox.set_faults(kind="drop_before", path=ROTATE, count=1)          # never reached the acquirer
    assert run_cli(provisioned, "rotate-key").returncode == 4
    new_key = (state / NEXT_KEY).read_bytes()
    _acquirer_sets_key(sandbox, provisioned, 7)     # e.g. re-keyed at the acquirer's portal
    _age_keys(sandbox, provisioned)
    proc = run_cli(provisioned, "rotate-key")
    assert proc.returncode == 3
    assert "neither key version" in proc.stderr and "do NOT factory-reset" in proc.stderr
    assert (state / "terminal_key.pem").read_bytes() == old_key and (state / NEXT_KEY).read_bytes() == new_key


def _acquirer_sets_key(sandbox, config, version: int) -> None:
    """The acquirer holds an unrelated key as `version` (current) for this client."""
    from terminal import signing

    acquirer = tomllib.loads(config.read_text())["acquirer"]
    admin(sandbox, "POST", "/clients", json={
        "client_id": acquirer["client_id"], "terminal_id": acquirer["terminal_id"], "key_version": version,
        "public_key_pem": signing.public_key_pem(signing.generate_private_key()).decode()})


def test_a_verified_refusal_of_a_never_taken_key_discards_it(sandbox, provisioned):
    state = provisioned.parent
    old_key = (state / "terminal_key.pem").read_bytes()
    # The acquirer already has a version 2 with another key: REPEAT_REQ_INCONSISTENT, and the new key
    # is refused when probed, so (and only so) it is discarded.
    _acquirer_sets_key(sandbox, provisioned, 2)
    proc = run_cli(provisioned, "rotate-key")
    assert proc.returncode == 3 and "refused the new key" in proc.stderr
    assert (state / "terminal_key.pem").read_bytes() == old_key
    assert not (state / NEXT_KEY).exists() and not (state / RECORD).exists()
    assert _toml_version(provisioned) == 1


@pytest.mark.parametrize("point", ROTATION_POINTS)
def test_power_cut_at_every_rotation_step(sandbox, provisioned, point):
    state = provisioned.parent
    aged = point == "rotate_after_probe"      # the probe is only sent once the old key is refused
    if aged:
        _lost_answer(sandbox, provisioned)
        _age_keys(sandbox, provisioned)
    proc = run_cli(provisioned, "rotate-key", env={"POS_TERMINAL_CRASHPOINT": point})
    assert proc.returncode == -9, f"{point} was not reached: {proc.stderr}"
    # Right after the power cut the terminal still holds a key the acquirer accepts.
    held = {1} | ({2} if (state / NEXT_KEY).exists() or _toml_version(provisioned) == 2 else set())
    assert held & _acquirer_accepts(sandbox, provisioned), "the terminal holds no key the acquirer accepts"
    outcome = _rotate_in_process(provisioned)     # the technician runs rotate-key again
    assert _toml_version(provisioned) == _acquirer_current(sandbox, provisioned) == outcome.new_version
    assert not (state / RECORD).exists() and not (state / NEXT_KEY).exists()
    _age_keys(sandbox, provisioned)                # only the current key is accepted from now on
    assert _sale_state(provisioned) == "APPROVED"


def test_running_terminal_rotates_and_switches_live(sandbox, provisioned):
    terminal = build(provisioned)
    try:
        outcome = terminal.upkeep.rotate_key()
        assert outcome.new_version == 2 and _acquirer_current(sandbox, provisioned) == 2
        _age_keys(sandbox, provisioned)            # the old key is dead: only a live switch sells now
        assert terminal.sale(Money("USD", 100), code_for("0000")).state.value == "APPROVED"
        entries = terminal.audit.entries(action="rotate_key")
        assert entries and entries[0]["result"] == "ok" and entries[0]["detail"]["keyVersion"] == 2
    finally:
        terminal.close()


def test_rotate_key_while_the_terminal_runs_is_done_by_the_running_terminal(sandbox, provisioned):
    """The field bug: the CLI rotated behind the service's back; the service kept the old key."""
    from terminal.cli.handoff import serve_owner_channel

    terminal = build(provisioned)                  # the running service: it owns the state directory
    channel = serve_owner_channel(terminal)
    try:
        proc = run_cli(provisioned, "--json", "rotate-key")
        assert proc.returncode == 0, proc.stderr
        assert "handed to the running terminal" in proc.stderr and "[2/3]" in proc.stderr
        assert json.loads(proc.stdout)["keyVersion"] == 2
        assert terminal.upkeep.key_version() == 2      # switched in the running process
        _age_keys(sandbox, provisioned)
        assert terminal.sale(Money("USD", 100), code_for("0000")).state.value == "APPROVED"
        entry = terminal.audit.entries(action="rotate_key")[0]
        assert entry["actor"] == "cli" and entry["result"] == "ok"
    finally:
        channel.stop()
        terminal.close()


def test_the_app_resumes_an_unfinished_rotation_at_start(sandbox, provisioned):
    _lost_answer(sandbox, provisioned)
    _age_keys(sandbox, provisioned)
    terminal = build(provisioned)
    try:
        terminal.start_background_resolution()
        deadline = time.monotonic() + 20
        while (provisioned.parent / RECORD).exists() and time.monotonic() < deadline:
            time.sleep(0.05)   # bounded poll of a condition
        assert not (provisioned.parent / RECORD).exists()
        assert terminal.sale(Money("USD", 100), code_for("0000")).state.value == "APPROVED"
    finally:
        terminal.close()
    assert _toml_version(provisioned) == 2


def test_a_rotation_done_by_another_process_is_picked_up(sandbox, provisioned):
    terminal = build(provisioned)
    try:
        _rotate_in_process(provisioned)            # e.g. a CLI run while the service runs
        _age_keys(sandbox, provisioned)            # the old key is dead: signing with it would be refused
        assert terminal.sale(Money("USD", 100), code_for("0000")).state.value == "APPROVED"
    finally:
        terminal.close()


def test_diagnose_tells_the_true_key_state(sandbox, provisioned):
    _lost_answer(sandbox, provisioned)
    report = run_diagnostics(str(provisioned))
    checks = {c.name: c for c in report.checks}
    rotation = checks["key rotation"]
    assert rotation.status == "FAIL" and "unconfirmed" in rotation.detail and "both keys are kept" in rotation.detail
    assert "stays valid" not in rotation.fix and "Do NOT factory-reset" in rotation.fix
    assert checks["acquirer"].status == "PASS"     # the old key still works within the 24 h
    _age_keys(sandbox, provisioned)
    checks = {c.name: c for c in run_diagnostics(str(provisioned)).checks}
    assert "may accept only version 2" not in checks["key rotation"].detail  # started just now (our clock)
    assert checks["acquirer"].status == "FAIL"
    assert "accepts the pending new key version 2" in checks["acquirer"].detail
    assert "rotate-key" in checks["acquirer"].fix
