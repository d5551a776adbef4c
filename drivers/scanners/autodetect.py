"""Finding a serial barcode scanner among the machine's serial ports (``scanner.port = "auto"``).

Dedicated scanner makers have their own USB vendor ids; generic USB-serial bridge chips
(CH340, FTDI, CP210x) are not listed because a printer or a modem uses them too: a scanner
behind such a chip needs ``scanner.port`` set explicitly.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# USB vendor ids of barcode-scanner makers (product ids vary by model and USB mode).
SCANNER_VENDORS: dict[int, str] = {
    0x0C2E: "Honeywell (Metrologic)",
    0x0536: "Honeywell (Hand Held Products)",
    0x05E0: "Zebra (Symbol)",
    0x05F9: "Datalogic (PSC)",
    0x080C: "Datalogic ADC",
    0x1EAB: "Newland",
    0x065A: "Opticon",
}


@dataclass(frozen=True)
class PortInfo:
    device: str
    vid: int | None
    pid: int | None
    description: str = ""


def list_ports() -> list[PortInfo]:
    from serial.tools import list_ports as lp

    return [PortInfo(p.device, p.vid, p.pid, p.description or "") for p in lp.comports()]


def find_scanner_port(ports: Iterable[PortInfo] | None = None, *,
                      extra_ids: Iterable[tuple[int, int | None]] = ()) -> PortInfo | None:
    """The first port whose USB vendor is a scanner maker (or matches ``extra_ids``, pairs of
    (vid, pid-or-None) from configuration). None when nothing matches."""
    ports = list_ports() if ports is None else list(ports)
    extra = list(extra_ids)
    for port in sorted(ports, key=lambda p: p.device):
        if port.vid is None:
            continue
        if any(port.vid == vid and (pid is None or port.pid == pid) for vid, pid in extra):
            return port
        if port.vid in SCANNER_VENDORS:
            return port
    return None
