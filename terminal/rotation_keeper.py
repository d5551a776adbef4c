"""The running terminal's side of key rotation: it rotates, it finishes, it switches live.

A long-running terminal (the app, the control server) owns its signing credentials; a rotation
done behind its back would leave it signing with a key that dies 24 h later. So:

- `rotate(progress)` runs the rotation in this process and switches the signing key the
  moment the acquirer confirms (what the CLI asks the running terminal for);
- `start()` resumes an unfinished rotation in the background at start, retrying with capped
  backoff while the acquirer cannot be reached;
- `poke()` (a request refused KEY_NOT_FOUND) resumes at once;
- `signing_credentials()` (the acquirer client's credentials source) notices, by one stat of
  the key file per request, that another process finished a rotation, and reloads the key and
  version from disk before signing: the terminal never signs with a key that was replaced.
"""
from __future__ import annotations

import logging
import os
import threading
import tomllib
from collections.abc import Callable

from .acquirer import AcquirerClient, Credentials
from .config import Config
from .errors import TerminalError
from .keystore import SIGNING_KEY, KeyStore
from .rotation import KeyRotation, RotationOutcome, load_record

log = logging.getLogger("terminal.rotation")


class RotationKeeper:
    def __init__(self, config: Config, *, client: AcquirerClient, current: Callable[[], Credentials],
                 switch: Callable[[Credentials], None], audit: Callable[..., object] | None = None,
                 retry_base_s: float = 30.0, retry_cap_s: float = 900.0):
        self.config = config
        self.client = client
        self.current = current
        self.switch = switch
        self.audit = audit or (lambda *a, **k: None)
        self.retry_base_s, self.retry_cap_s = retry_base_s, retry_cap_s
        self.state_dir = config.state_dir()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stamp = self._key_stamp()

    def _key_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.state_dir / SIGNING_KEY)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def signing_credentials(self) -> Credentials:
        """The credentials to sign the next request with (see the module docstring)."""
        stamp = self._key_stamp()
        if stamp != self._stamp:
            self.reload_if_rotated_elsewhere()
            if not self.pending():          # mid-finish elsewhere: look again at the next request
                self._stamp = stamp
        return self.current()

    def _rotation(self, progress: Callable[[str], None]) -> KeyRotation:
        return KeyRotation(self.config, client=self.client, progress=progress, on_rotated=self._switched)

    def _switched(self, credentials: Credentials) -> None:
        self.switch(credentials)
        log.info("signing with key version %s from now on", credentials.key_version)

    # -- asked by the CLI (through the owner channel) or the technician screen ----------------
    def rotate(self, progress: Callable[[str], None] = lambda _m: None, *, actor: str = "technician") -> RotationOutcome:
        try:
            outcome = self._rotation(progress).run()
        except TerminalError as exc:
            self.audit(actor, "rotate_key", result="failed", code=exc.code, error=exc.message[:200])
            raise
        self.audit(actor, "rotate_key", oldKeyVersion=outcome.old_version, keyVersion=outcome.new_version,
                   resumed=outcome.resumed)
        return outcome

    # -- background ---------------------------------------------------------------------------
    def pending(self) -> bool:
        try:
            return load_record(self.state_dir) is not None
        except TerminalError:
            return True

    def resume_once(self) -> bool:
        """One attempt; True when nothing is left to do."""
        self.reload_if_rotated_elsewhere()
        if not self.pending():
            return True
        try:
            outcome = self._rotation(lambda m: log.info("rotation: %s", m)).resume()
        except TerminalError as exc:
            log.warning("unfinished key rotation not done yet: %s", exc.message)
            return False
        if outcome is not None:
            self.audit("terminal", "rotate_key", oldKeyVersion=outcome.old_version, keyVersion=outcome.new_version,
                       resumed=True)
        return True

    def start(self) -> None:
        """Resume an unfinished rotation now and keep retrying in the background until it is done."""
        if self._thread is not None or not self.pending():
            return

        def loop() -> None:
            delay = self.retry_base_s
            while not self._stop.is_set():
                if self.resume_once():
                    return
                self._wake.wait(delay)
                self._wake.clear()
                delay = min(delay * 2, self.retry_cap_s)

        self._thread = threading.Thread(target=loop, name="key-rotation", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """A request was refused KEY_NOT_FOUND: try now (called from the fault hook)."""
        if self._thread is not None and self._thread.is_alive():
            self._wake.set()
            return
        self._thread = None
        if self.pending():
            self.start()
        else:
            self.reload_if_rotated_elsewhere()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def reload_if_rotated_elsewhere(self) -> bool:
        """Another process (a CLI run while this terminal ran) finished a rotation: use its key."""
        if self.config.source is None:
            return False
        try:
            version = int(tomllib.loads(self.config.source.read_text(encoding="utf-8"))["acquirer"]["key_version"])
            if version <= self.current().key_version or self.pending():
                return False
            key = KeyStore(state_dir=self.state_dir).signing_key()
        except (OSError, KeyError, ValueError, TypeError, tomllib.TOMLDecodeError, TerminalError) as exc:
            log.warning("could not check the key files for a rotation done elsewhere: %s", exc)
            return False
        self._switched(Credentials(self.current().client_id, version, key))
        return True
