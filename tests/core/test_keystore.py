"""Secrets in the state directory: mode 0600, refused when others can read them."""
from __future__ import annotations

import os
import re
import stat

import pytest

from terminal.errors import FaultError
from terminal.files import write_atomic
from terminal.keystore import CONTROL_TOKEN, HMAC_KEY, NEXT_SIGNING_KEY, SIGNING_KEY, VALIDATED_KEYS, KeyStore


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_secrets_are_created_0600(tmp_path, loose_umask):
    store = KeyStore(state_dir=tmp_path / "state")
    key = store.signing_key(create=True)
    hmac_key = store.hmac_key()
    token = store.control_token()
    for name in (SIGNING_KEY, HMAC_KEY, CONTROL_TOKEN):
        assert _mode(store.path(name)) == 0o600, name
    assert len(hmac_key) == 32
    assert token and key.key_size == 2048
    assert not [p for p in store.state_dir.iterdir() if ".tmp-" in p.name]


def test_keys_are_stable(tmp_path):
    store = KeyStore(state_dir=tmp_path)
    key = store.signing_key(create=True)
    again = KeyStore(state_dir=tmp_path)
    assert again.signing_key().private_numbers() == key.private_numbers()
    assert again.hmac_key() == store.hmac_key()


def test_control_token_is_64_hex_and_stable(tmp_path):
    store = KeyStore(state_dir=tmp_path)
    assert store.control_token(create=False) is None
    token = store.control_token()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert KeyStore(state_dir=tmp_path).control_token() == token
    assert KeyStore(state_dir=tmp_path).control_token(create=False) == token
    other = KeyStore(state_dir=tmp_path / "other").control_token()
    assert other != token


def test_missing_signing_key_without_create_names_provision(tmp_path):
    with pytest.raises(FaultError) as info:
        KeyStore(state_dir=tmp_path).signing_key()
    assert info.value.code == "KEY_MISSING" and "pos-terminal provision" in info.value.message
    assert info.value.exit_code == 3


@pytest.mark.parametrize("name", [SIGNING_KEY, HMAC_KEY, CONTROL_TOKEN])
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o602])
def test_readable_secret_is_refused_naming_chmod(tmp_path, terminal_key, name, mode):
    store = KeyStore(state_dir=tmp_path)
    store.store_signing_key(terminal_key)
    store.hmac_key()
    store.control_token()
    path = store.path(name)
    os.chmod(path, mode)
    before = path.read_bytes()
    read = {SIGNING_KEY: store.signing_key, HMAC_KEY: store.hmac_key, CONTROL_TOKEN: store.control_token}[name]
    with pytest.raises(FaultError) as info:
        read()
    assert info.value.code == "KEY_PERMISSIONS"
    assert f"chmod 600 {path}" in info.value.message
    assert path.read_bytes() == before  # nothing replaced


@pytest.mark.parametrize("mode", [0o400, 0o600, 0o700])
def test_owner_only_modes_are_accepted(tmp_path, terminal_key, mode):
    store = KeyStore(state_dir=tmp_path)
    store.store_signing_key(terminal_key)
    os.chmod(store.path(SIGNING_KEY), mode)
    assert store.signing_key().private_numbers() == terminal_key.private_numbers()


def test_damaged_signing_key_is_a_fault(tmp_path):
    store = KeyStore(state_dir=tmp_path)
    write_atomic(store.path(SIGNING_KEY), b"not a key")
    with pytest.raises(Exception) as info:
        store.signing_key()
    assert isinstance(info.value, FaultError)


def test_store_and_remove(tmp_path, terminal_key):
    store = KeyStore(state_dir=tmp_path)
    store.store_signing_key(terminal_key)
    assert _mode(store.path(SIGNING_KEY)) == 0o600
    assert store.signing_key().private_numbers() == terminal_key.private_numbers()
    store.remove(SIGNING_KEY)
    store.remove(SIGNING_KEY)  # idempotent
    assert not store.path(SIGNING_KEY).exists()


def test_write_atomic_replaces_and_sets_mode(tmp_path, loose_umask):
    path = tmp_path / "a" / "b.bin"
    write_atomic(path, b"one")
    write_atomic(path, b"two", mode=0o640)
    assert path.read_bytes() == b"two" and _mode(path) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["b.bin"]


@pytest.fixture
def key_checks(monkeypatch):
    """How each signing key load ran: True = OpenSSL's full RSA key check, False = skipped."""
    from cryptography.hazmat.primitives import serialization

    from terminal import signing

    seen: list[bool] = []
    real = serialization.load_pem_private_key

    def spy(pem, password, **kw):
        seen.append(not kw.get("unsafe_skip_rsa_key_validation", False))
        return real(pem, password, **kw)
    monkeypatch.setattr(signing.serialization, "load_pem_private_key", spy)
    return seen


def _pem(key) -> bytes:
    from terminal.signing import private_key_pem

    return private_key_pem(key)


def test_a_key_file_is_checked_in_full_once_per_content(tmp_path, terminal_key, key_checks):
    """Each start used to run OpenSSL's RSA key check (60 ms of CPU before Charge): now once for
    the bytes of a key file, again whenever they change."""
    write_atomic(tmp_path / SIGNING_KEY, _pem(terminal_key))       # put there by hand: never checked
    for _ in range(3):
        assert KeyStore(state_dir=tmp_path).signing_key().private_numbers() == terminal_key.private_numbers()
    assert key_checks == [True, False, False]
    assert _mode(tmp_path / VALIDATED_KEYS) == 0o600
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_atomic(tmp_path / SIGNING_KEY, _pem(other))            # other bytes: checked again
    KeyStore(state_dir=tmp_path).signing_key()
    KeyStore(state_dir=tmp_path).signing_key()
    assert key_checks[3:] == [True, False]


def test_keys_generated_here_are_never_checked_and_survive_a_rotation(tmp_path, key_checks):
    store = KeyStore(state_dir=tmp_path)
    store.signing_key(create=True)
    from cryptography.hazmat.primitives.asymmetric import rsa

    store.store_signing_key(rsa.generate_private_key(public_exponent=65537, key_size=2048), NEXT_SIGNING_KEY)
    os.replace(store.path(NEXT_SIGNING_KEY), store.path(SIGNING_KEY))   # as a confirmed rotation does
    store.signing_key()
    assert key_checks == [False]


def test_an_inconsistent_key_is_refused_even_with_a_record(tmp_path, terminal_key):
    """A key whose CRT values do not match (a damaged file that still parses) is checked in full
    and refused, whatever the record holds for the key that was there before."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    store = KeyStore(state_dir=tmp_path)
    store.store_signing_key(terminal_key)
    n = terminal_key.private_numbers()
    bad = rsa.RSAPrivateNumbers(n.p, n.q, n.d, n.dmp1, n.dmq1, (n.iqmp + 1) % n.p, n.public_numbers)
    write_atomic(store.path(SIGNING_KEY), _pem(bad.private_key(unsafe_skip_rsa_key_validation=True)))
    with pytest.raises(FaultError) as info:
        store.signing_key()
    assert info.value.code == "KEY_INVALID" and "re-provision" in info.value.message
    write_atomic(tmp_path / VALIDATED_KEYS, b"garbage\n")      # a damaged record only costs a full check
    store.store_signing_key(terminal_key)
    assert store.signing_key().private_numbers() == terminal_key.private_numbers()
