"""PINs: scrypt hashes, 5 wrong tries lock 300 s (clock injected), lock survives restarts."""
from __future__ import annotations

import json
import os
import stat

import pytest

from terminal.errors import BusinessError, FaultError, InputError
from terminal.pins import LOCK_S, MAX_TRIES, PinLocked, PinVault, WrongPin


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def vault(tmp_path, clock):
    v = PinVault(state_dir=tmp_path, clock=clock)
    v.set_pin("manager", "4321")
    return v


def test_set_and_check(vault, tmp_path):
    assert vault.is_set("manager") and not vault.is_set("technician")
    vault.check("manager", "4321")
    path = tmp_path / "manager_pin.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert "4321" not in text
    record = json.loads(text)
    assert set(record) >= {"salt", "hash"} and len(bytes.fromhex(record["salt"])) == 16


def test_roles_are_separate(vault):
    vault.set_pin("technician", "987654")
    vault.check("technician", "987654")
    with pytest.raises(WrongPin):
        vault.check("technician", "4321")
    with pytest.raises(ValueError):
        vault.set_pin("cashier", "1234")


def test_wrong_pin_counts_down(vault):
    for left in range(MAX_TRIES - 1, 0, -1):
        with pytest.raises(WrongPin) as info:
            vault.check("manager", "0000")
        assert f"({left} tries left)" in info.value.message
        assert isinstance(info.value, BusinessError) and info.value.exit_code == 1


def test_correct_pin_resets_the_count(vault):
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(WrongPin):
            vault.check("manager", "0000")
    vault.check("manager", "4321")
    with pytest.raises(WrongPin, match=f"{MAX_TRIES - 1} tries left"):
        vault.check("manager", "0000")


def test_five_wrong_tries_lock_for_300_s(vault, clock, tmp_path):
    assert LOCK_S == 300 and MAX_TRIES == 5
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(WrongPin):
            vault.check("manager", "0000")
    with pytest.raises(PinLocked):
        vault.check("manager", "0000")
    assert vault.locked_for("manager") == LOCK_S
    # Even the right PIN is refused while locked, and says how long to wait.
    clock.t += 100
    with pytest.raises(PinLocked, match=r"try again in 20[01] s"):
        vault.check("manager", "4321")
    # The lock lives on disk: a new vault (a restart) still refuses.
    restarted = PinVault(state_dir=tmp_path, clock=clock)
    with pytest.raises(PinLocked):
        restarted.check("manager", "4321")
    clock.t += 199.5
    with pytest.raises(PinLocked):
        restarted.check("manager", "4321")
    clock.t += 0.5
    assert restarted.locked_for("manager") == 0
    restarted.check("manager", "4321")


def test_after_lock_expires_a_wrong_pin_starts_a_fresh_count(vault, clock):
    for _ in range(MAX_TRIES):
        with pytest.raises((WrongPin, PinLocked)):
            vault.check("manager", "0000")
    clock.t += LOCK_S
    with pytest.raises(WrongPin, match=f"{MAX_TRIES - 1} tries left"):
        vault.check("manager", "0000")


def test_failures_persist_across_instances(vault, clock, tmp_path):
    for _ in range(3):
        with pytest.raises(WrongPin):
            vault.check("manager", "0000")
    again = PinVault(state_dir=tmp_path, clock=clock)
    with pytest.raises(WrongPin, match="1 tries left"):
        again.check("manager", "0000")
    with pytest.raises(PinLocked):
        PinVault(state_dir=tmp_path, clock=clock).check("manager", "0000")


@pytest.mark.parametrize("pin", ["", "123", "1234567890123", "12a4", "12 34", " 1234", "\uff11\uff12\uff13\uff14",
                                 "\u0661\u0662\u0663\u0664", "-1234", None])
def test_pin_format_rules(tmp_path, pin):
    v = PinVault(state_dir=tmp_path)
    with pytest.raises(InputError, match="4 to 12 digits"):
        v.set_pin("manager", pin)
    assert not v.is_set("manager")


@pytest.mark.parametrize("pin", ["1234", "000000000000"])
def test_pin_lengths_accepted(tmp_path, pin):
    v = PinVault(state_dir=tmp_path)
    v.set_pin("manager", pin)
    v.check("manager", pin)


def test_unset_and_damaged(tmp_path):
    v = PinVault(state_dir=tmp_path)
    with pytest.raises(FaultError, match="no manager PIN is set"):
        v.check("manager", "1234")
    (tmp_path / "manager_pin.json").write_text("{not json")
    with pytest.raises(FaultError, match="damaged"):
        v.check("manager", "1234")
