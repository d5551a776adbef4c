"""A virtual serial barcode scanner on a pty pair: the real SerialScanner reads its slave end.

The device side writes codes framed like a real scanner, and can misbehave on purpose
(garbage, invalid UTF-8, overlong lines, an unplug and a replug) so the reader's recovery is
exercised without hardware. With ``link=PATH`` the slave is reachable through a symlink that a
replug re-points, the way udev's /dev/serial/by-id names survive a real replug.

Run it as a script to type codes by hand or from a rig::

    python -m drivers.scanners.virtual_serial [--suffix CR] [--link /tmp/scanner]
    # prints the port to configure (scanner.port), then sends each stdin line as a scan
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import tty
from typing import Self

_SUFFIX_BYTES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t", "NONE": b""}


class VirtualSerialDevice:
    """The scanner's side of a pty. ``port`` is what the SerialScanner opens."""

    def __init__(self, *, suffix: str = "CR", link: str | None = None, stx_etx: bool = False):
        self.suffix = suffix.upper()
        self.stx_etx = stx_etx
        self.link = link
        self._master: int | None = None
        self._slave: int | None = None
        self.slave_path = ""
        self.plug()

    @property
    def port(self) -> str:
        return self.link or self.slave_path

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        """Create a fresh pty pair (a new /dev/pts/N, as a real replug gives a new device)."""
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(master)
        self._master, self._slave = master, slave
        self.slave_path = os.ttyname(slave)
        if self.link:
            tmp = f"{self.link}.tmp{os.getpid()}"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(self.slave_path, tmp)
            os.replace(tmp, self.link)

    def unplug(self) -> None:
        """Close both ends: the reader gets an I/O error, as when the USB cable is pulled."""
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None
        if self.link and os.path.lexists(self.link):
            os.unlink(self.link)

    def replug(self) -> None:
        self.unplug()
        self.plug()

    def type_code(self, code: str, *, pause_after: int | None = None, pause_s: float = 0.0) -> None:
        """Send one scan, framed with the configured suffix (and STX/ETX if enabled).

        `pause_after` characters in, the line goes quiet for `pause_s`: what a scanner behind
        a busy USB hub or an RS-232/Bluetooth base does inside a code."""
        body = code.encode("utf-8")
        if self.stx_etx:
            body = b"\x02" + body + b"\x03"
        frame = body + _SUFFIX_BYTES[self.suffix]
        if pause_after is None or pause_s <= 0:
            self.write(frame)
            return
        cut = pause_after + (1 if self.stx_etx else 0)
        self.write(frame[:cut])
        time.sleep(pause_s)   # the simulated device's own pause, not a wait for the reader
        self.write(frame[cut:])

    def write(self, data: bytes) -> None:
        """Raw bytes onto the line: garbage, invalid UTF-8, partial frames."""
        if self._master is None:
            raise OSError("virtual scanner is unplugged")
        view = memoryview(data)
        while view:
            n = os.write(self._master, view)
            view = view[n:]

    def close(self) -> None:
        self.unplug()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Virtual serial barcode scanner on a pty: "
                                 "each stdin line is sent as one scan.")
    ap.add_argument("--suffix", default="CR", choices=sorted(_SUFFIX_BYTES))
    ap.add_argument("--link", help="also expose the port as this symlink")
    ap.add_argument("--stx-etx", action="store_true", help="wrap each code in STX/ETX")
    ap.add_argument("codes", nargs="*", help="codes to send before reading stdin")
    args = ap.parse_args(argv)
    dev = VirtualSerialDevice(suffix=args.suffix, link=args.link, stx_etx=args.stx_etx)
    print(f"virtual scanner port: {dev.port}  (set scanner.port to this)", flush=True)
    try:
        for code in args.codes:
            dev.type_code(code)
        for line in sys.stdin:
            line = line.rstrip("\r\n")
            if line:
                dev.type_code(line)
                print(f"sent {len(line)} characters", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        dev.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
