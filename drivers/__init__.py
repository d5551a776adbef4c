"""Hardware behind small interfaces: scanners (serial, camera, keyboard wedge, virtual) and
receipt printers (ESC/POS backends, text file, virtual, none).

Drivers deliver plain data and know nothing of payments. ``import drivers`` never needs an
optional hardware library; see ``drivers.scanners.build_scanner`` and
``drivers.printers.build_printer``.
"""
from .errors import (
    DependencyMissing,
    DeviceConfigError,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    DevicePermissionDenied,
    PaperOut,
    PrinterError,
    PrinterOffline,
)
from .masking import mask

__all__ = ["DependencyMissing", "DeviceConfigError", "DeviceDisconnected", "DeviceError",
           "DeviceNotFound", "DevicePermissionDenied", "PaperOut", "PrinterError",
           "PrinterOffline", "mask"]
