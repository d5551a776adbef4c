"""PIN lockout under concurrency (issue #12 item 1), the owner override, and the secret-file
rule for PIN hashes (item 11).

A burst of concurrent guesses must get exactly MAX_TRIES of them checked, whatever the
interleaving: the lockout is decided (and the try counted) before the hash is computed, under a
lock shared by threads and processes.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time

import pytest

from terminal.errors import BusinessError, FaultError, InputError
from terminal.files import write_atomic
from terminal.pins import MAX_TRIES, POLICIES, PinLocked, PinVault, WrongPin

RIGHT, WRONG = "4321", "0000"


@pytest.fixture
def vault(tmp_path):
    v = PinVault(state_dir=tmp_path)
    v.set_pin("manager", RIGHT)
    return v


class HashGate:
    """Counts the hashes computed by PinVault.check and holds them until released, so a test
    can put every guess of a burst in flight at once."""

    def __init__(self, monkeypatch):
        self.count = 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.entered = threading.Condition(self._lock)
        real = hashlib.scrypt

        def gated(*args, **kwargs):
            with self._lock:
                self.count += 1
                self.entered.notify_all()
            assert self.release.wait(30), "test gate never released"
            return real(*args, **kwargs)
        monkeypatch.setattr("terminal.pins.hashlib.scrypt", gated)

    def wait_for(self, n: int) -> None:
        with self._lock:
            assert self.entered.wait_for(lambda: self.count >= n, timeout=30)


def _burst(vault, pins: list[str]):
    results: list[Exception | None] = [None] * len(pins)

    def one(i: int) -> None:
        try:
            vault.check("manager", pins[i])
        except Exception as exc:   # noqa: BLE001 - collected, asserted below
            results[i] = exc
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(pins))]
    for t in threads:
        t.start()
    return results, threads


def test_a_burst_of_30_wrong_pins_gets_exactly_max_tries_checked(vault, monkeypatch):
    gate = HashGate(monkeypatch)
    results, threads = _burst(vault, [WRONG] * 30)
    gate.wait_for(MAX_TRIES)
    # Every guess past the limit is refused without hashing while the first ones are in flight.
    deadline = time.monotonic() + 30
    while sum(isinstance(r, PinLocked) for r in results) < 30 - MAX_TRIES and time.monotonic() < deadline:
        threads[0].join(0.01)
    assert sum(isinstance(r, PinLocked) for r in results) == 30 - MAX_TRIES
    assert gate.count == MAX_TRIES
    gate.release.set()
    for t in threads:
        t.join(30)
    assert gate.count == MAX_TRIES
    assert all(isinstance(r, (WrongPin, PinLocked)) for r in results), results
    assert not any(isinstance(r, FileNotFoundError) for r in results)
    assert vault.locked_for("manager") > 0
    with pytest.raises(PinLocked):
        vault.check("manager", RIGHT)


def test_the_right_pin_inside_a_burst_of_wrong_ones_is_refused(vault, monkeypatch):
    gate = HashGate(monkeypatch)
    _results, threads = _burst(vault, [WRONG] * 10)
    gate.wait_for(MAX_TRIES)          # five wrong guesses reserved and being hashed
    with pytest.raises(PinLocked):
        vault.check("manager", RIGHT)  # refused before hashing: no sixth guess
    gate.release.set()
    for t in threads:
        t.join(30)
    assert gate.count == MAX_TRIES
    with pytest.raises(PinLocked):
        vault.check("manager", RIGHT)


def test_concurrent_right_pins_all_pass_and_never_fail_on_the_temp_file(vault):
    """Each check writes the record; threads once shared one temp-file name and crashed with
    FileNotFoundError."""
    errors: list[BaseException] = []

    def one() -> None:
        try:
            vault.check("manager", RIGHT)
        except Exception as exc:  # noqa: BLE001 - collected, asserted below
            errors.append(exc)
    threads = [threading.Thread(target=one) for _ in range(MAX_TRIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [e for e in errors if not isinstance(e, PinLocked)] == []


def test_write_atomic_from_many_threads_never_collides(tmp_path):
    target = tmp_path / "x.json"
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for _ in range(20):
                write_atomic(target, str(i).encode() * 100)
        except Exception as exc:  # noqa: BLE001 - collected, asserted below
            errors.append(exc)
    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    text = target.read_text()
    assert text == text[0] * 100            # one whole write, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]   # no temp file left behind


def _guess_in_process(state_dir: str, pin: str, start, out) -> None:
    start.wait(30)
    try:
        PinVault(state_dir=state_dir).check("manager", pin)
        out.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out.put(type(exc).__name__)


def test_processes_share_the_count(vault, tmp_path):
    """Eight processes guessing at once (each its own PinVault, as the app and a CLI refund
    would be): at most MAX_TRIES-1 'wrong PIN' answers, then locked for all."""
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_guess_in_process, args=(str(tmp_path), WRONG, start, out)) for _ in range(8)]
    for p in procs:
        p.start()
    start.set()
    answers = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    assert set(answers) <= {"WrongPin", "PinLocked"}, answers
    assert answers.count("WrongPin") <= MAX_TRIES - 1
    assert vault.tries_left("manager") < MAX_TRIES
    for _ in range(MAX_TRIES):                   # whatever is left of the budget runs out
        try:
            vault.check("manager", WRONG)
        except WrongPin:
            continue
        except PinLocked:
            break
    with pytest.raises(PinLocked):
        vault.check("manager", RIGHT)


def test_a_crash_mid_check_counts_the_try(vault, monkeypatch):
    def crash(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr("terminal.pins.hashlib.scrypt", crash)
    with pytest.raises(KeyboardInterrupt):
        vault.check("manager", RIGHT)
    monkeypatch.undo()
    assert vault.tries_left("manager") == MAX_TRIES - 1


# -- the owner override ------------------------------------------------------------------------

def _lock_manager(vault) -> None:
    for _ in range(MAX_TRIES):
        with pytest.raises((WrongPin, PinLocked)):
            vault.check("manager", WRONG)
    assert vault.locked_for("manager") > 0


def test_owner_pin_overrides_a_manager_lockout(vault):
    vault.set_pin("owner", "97531")
    _lock_manager(vault)
    with pytest.raises(PinLocked):
        vault.authorize("manager", RIGHT)
    assert vault.override_role("manager") == "owner"
    assert vault.authorize("manager", override_pin="97531") == "owner"
    assert vault.locked_for("manager") > 0          # the manager lock itself stays


def test_owner_override_has_its_own_stricter_limit(vault):
    vault.set_pin("owner", "97531")
    owner = POLICIES["owner"]
    assert owner.max_tries < MAX_TRIES and owner.lock_s > POLICIES["manager"].lock_s
    for _ in range(owner.max_tries - 1):
        with pytest.raises(WrongPin):
            vault.authorize("manager", override_pin=WRONG)
    with pytest.raises(PinLocked):
        vault.authorize("manager", override_pin=WRONG)
    with pytest.raises(PinLocked):
        vault.authorize("manager", override_pin="97531")
    # the manager's own count was not touched
    assert vault.tries_left("manager") == MAX_TRIES
    assert vault.authorize("manager", RIGHT) == "manager"


def test_no_owner_pin_no_override(vault):
    assert vault.override_role("manager") is None
    with pytest.raises(BusinessError) as info:
        vault.authorize("manager", override_pin="97531")
    assert info.value.code == "NO_OVERRIDE"
    with pytest.raises(InputError):
        vault.authorize("manager")                       # neither
    with pytest.raises(InputError):
        vault.authorize("manager", RIGHT, override_pin="97531")   # both
    with pytest.raises(InputError):
        vault.authorize("technician", override_pin="97531")


# -- item 11: the PIN hash is a secret file like the keys --------------------------------------

@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_pin_hash_readable_by_others_is_refused(vault, tmp_path, mode):
    path = tmp_path / "manager_pin.json"
    os.chmod(path, mode)
    with pytest.raises(FaultError, match="chmod 600") as info:
        vault.check("manager", RIGHT)
    assert info.value.code == "KEY_PERMISSIONS"
