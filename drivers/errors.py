"""Device errors: one small hierarchy whose messages tell the operator what to do.

Messages never contain a scanned string; callers pass lengths or masked forms only.
"""
from __future__ import annotations


class DeviceError(Exception):
    """Base of every hardware problem the drivers report.

    ``device`` names the device ("scanner", "printer", "camera"); ``where`` is the port, path
    or address concerned (never a scanned value). ``str(err)`` is the actionable message.
    """

    def __init__(self, message: str, *, device: str = "device", where: str = "") -> None:
        super().__init__(message)
        self.device = device
        self.where = where


class DependencyMissing(DeviceError):
    """An optional library or system package needed by the configured backend is absent."""

    def __init__(self, backend: str, install: str, *, device: str = "device") -> None:
        super().__init__(f"{device} backend '{backend}' is unavailable: install {install}",
                         device=device)
        self.backend = backend
        self.install = install


class DeviceConfigError(DeviceError):
    """The configuration asks for something that cannot work (unknown kind, bad option)."""


class DeviceNotFound(DeviceError):
    """The device path/port does not exist or nothing answers there."""


class DevicePermissionDenied(DeviceError):
    """The OS refused access to the device (usually a missing group membership)."""


class DeviceDisconnected(DeviceError):
    """The device went away while in use (unplugged, link lost)."""


class PrinterError(DeviceError):
    """Base of printer-specific conditions that the caller reports but never fails on."""


class PrinterOffline(PrinterError):
    """The printer does not answer (powered off, cable, network)."""


class PaperOut(PrinterError):
    """The printer reports no paper (or the cover is open)."""


def serial_open_error(exc: OSError | Exception, port: str, *, device: str = "scanner") -> DeviceError:
    """Map an exception raised while opening a serial port to an actionable DeviceError."""
    import errno

    err = getattr(exc, "errno", None)
    text = str(exc).lower()
    if err in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return DevicePermissionDenied(
            f"{device} on {port}: permission denied: add the user to the dialout group "
            f"(sudo usermod -aG dialout $USER, then log in again)", device=device, where=port)
    if err in (errno.ENOENT, errno.ENODEV, errno.ENXIO) or "no such file" in text \
            or "could not open port" in text:
        return DeviceNotFound(
            f"{device} not found on {port}: check the cable or set {device}.port",
            device=device, where=port)
    if err == errno.EBUSY or "busy" in text:
        return DeviceError(
            f"{device} on {port} is busy: close the other program using it (e.g. ModemManager)",
            device=device, where=port)
    return DeviceError(f"{device} on {port} failed to open ({type(exc).__name__}): "
                       f"check the cable and {device}.port", device=device, where=port)
