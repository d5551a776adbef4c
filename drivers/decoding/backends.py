"""Single QR decoders behind one small interface.

Each backend decodes a grayscale ``uint8`` image (H x W numpy array) and returns the text of
the first QR code found, or None. Optional libraries are imported lazily: ``is_usable()``
says whether a backend can run here, and constructing an unusable one raises
DependencyMissing naming what to install.
"""
from __future__ import annotations

import abc
import importlib
from typing import Any

from ..errors import DependencyMissing


class Decoder(abc.ABC):
    """A QR decoder. Subclasses implement ``decode``; instances are not thread-safe."""

    name: str = "?"
    install: str = ""

    def __init__(self) -> None:
        if not self.is_usable():
            raise DependencyMissing(self.name, self.install, device="camera")

    @classmethod
    @abc.abstractmethod
    def is_usable(cls) -> bool:
        """True when the library behind this backend can be imported here."""

    @abc.abstractmethod
    def decode(self, gray: Any) -> str | None:
        """Text of the first QR code in ``gray`` (2-D uint8 array), or None."""


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except Exception:  # ImportError, or OSError when a shared library is missing  # noqa: BLE001
        return False
    return True


class ZxingDecoder(Decoder):
    """zxing-cpp restricted to QR (all-format scanning is ~10x slower).

    ``fast=True`` skips zxing's own rotate/downscale/invert retries: the chain runs those
    as explicit, budgeted fallbacks instead.
    """

    name = "zxing"
    install = "zxing-cpp (pip install zxing-cpp)"

    def __init__(self, *, fast: bool = False, binarizer: str = "local") -> None:
        super().__init__()
        import zxingcpp

        self._zx = zxingcpp
        self._formats = zxingcpp.BarcodeFormat.QRCode
        self._binarizer = {
            "local": zxingcpp.Binarizer.LocalAverage,
            "global": zxingcpp.Binarizer.GlobalHistogram,
            "fixed": zxingcpp.Binarizer.FixedThreshold,
        }[binarizer]
        self._fast = fast

    @classmethod
    def is_usable(cls) -> bool:
        return _importable("zxingcpp")

    def decode(self, gray: Any) -> str | None:
        kwargs: dict[str, Any] = {"formats": self._formats, "binarizer": self._binarizer}
        if self._fast:
            kwargs.update(try_rotate=False, try_downscale=False, try_invert=False)
        results = self._zx.read_barcodes(gray, **kwargs)
        for result in results:
            if result.valid and result.text:
                return result.text
        return None


class PyzbarDecoder(Decoder):
    """ZBar through pyzbar (needs the system library libzbar0)."""

    name = "pyzbar"
    install = "pyzbar and the system library libzbar0 (apt-get install libzbar0)"

    def __init__(self) -> None:
        super().__init__()
        from pyzbar import pyzbar

        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE]

    @classmethod
    def is_usable(cls) -> bool:
        return _importable("pyzbar.pyzbar")

    def decode(self, gray: Any) -> str | None:
        for result in self._pyzbar.decode(gray, symbols=self._symbols):
            try:
                text = result.data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if text:
                return text
        return None


class OpenCVDecoder(Decoder):
    """OpenCV's QR detector (``QRCodeDetectorAruco`` when present: faster and more robust)."""

    name = "opencv"
    install = "opencv-python-headless (pip install opencv-python-headless)"

    def __init__(self) -> None:
        super().__init__()
        import cv2

        factory = getattr(cv2, "QRCodeDetectorAruco", None) or cv2.QRCodeDetector
        self._detector = factory()

    @classmethod
    def is_usable(cls) -> bool:
        return _importable("cv2")

    def decode(self, gray: Any) -> str | None:
        try:
            text, _points, _straight = self._detector.detectAndDecode(gray)
        except Exception:  # cv2.error on degenerate detections; treat as "nothing read"  # noqa: BLE001
            return None
        return text or None


BACKENDS: dict[str, type[Decoder]] = {
    "zxing": ZxingDecoder,
    "pyzbar": PyzbarDecoder,
    "opencv": OpenCVDecoder,
}


def build_decoder(name: str) -> Decoder:
    """A single backend by configuration name (``zxing``, ``pyzbar``, ``opencv``)."""
    from ..errors import DeviceConfigError

    try:
        cls = BACKENDS[name]
    except KeyError:
        raise DeviceConfigError(
            f"unknown scanner.decoder '{name}': use one of {', '.join(BACKENDS)}",
            device="camera") from None
    return cls()
