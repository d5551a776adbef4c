"""Where camera frames come from: OpenCV (V4L2 device, video file, image sequence) or
picamera2 (Raspberry Pi camera modules, optional import)."""
from __future__ import annotations

import abc
import importlib
import os
from typing import Any

from ..errors import DependencyMissing, DeviceNotFound, DevicePermissionDenied


class FrameSource(abc.ABC):
    """``open()`` then ``read()`` BGR frames (None at the end of a file); ``close()``.
    ``live`` sources drop frames the decoder cannot keep up with; file sources do not."""

    live = True
    where = ""

    @abc.abstractmethod
    def open(self) -> None: ...

    @abc.abstractmethod
    def read(self) -> Any | None: ...

    @abc.abstractmethod
    def close(self) -> None: ...


class OpenCVSource(FrameSource):
    """``camera``: an index (0), a device path (/dev/video0), a video file, or an image
    sequence pattern (frames/%04d.png). Files play once unless ``loop``."""

    def __init__(self, camera: int | str = 0, *, width: int = 640, height: int = 480,
                 loop: bool = False) -> None:
        if isinstance(camera, str) and camera.isdigit():
            camera = int(camera)
        self.camera = camera
        self.width, self.height = width, height
        self.loop = loop
        is_device = isinstance(camera, int) or str(camera).startswith("/dev/")
        self.live = is_device
        self.where = f"camera {camera}" if isinstance(camera, int) else str(camera)
        self._cap: Any = None       # cv2.VideoCapture once opened

    def open(self) -> None:
        import cv2

        cam = self.camera
        if isinstance(cam, int) or str(cam).startswith("/dev/"):
            dev = f"/dev/video{cam}" if isinstance(cam, int) else cam
            if os.path.exists(dev) and not os.access(dev, os.R_OK | os.W_OK):
                raise DevicePermissionDenied(f"camera {dev}: permission denied: add the user "
                                             "to the video group", device="camera", where=dev)
        elif "%" not in str(cam) and not os.path.exists(str(cam)):
            raise DeviceNotFound(f"camera source {cam} not found: check scanner.camera",
                                 device="camera", where=str(cam))
        cap = cv2.VideoCapture(cam)
        if not cap.isOpened():
            cap.release()
            raise DeviceNotFound(f"camera not found at {self.where}: check the cable or set "
                                 "scanner.camera", device="camera", where=self.where)
        if self.live:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # latency: we only ever want the newest frame
        self._cap = cap

    def read(self) -> Any | None:
        cap = self._cap
        if cap is None:
            return None
        ok, frame = cap.read()
        if not ok and not self.live and self.loop:
            import cv2

            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = cap.read()
        if not ok:
            if self.live:
                raise DeviceNotFound(f"camera at {self.where} stopped delivering frames: check "
                                     "the cable", device="camera", where=self.where)
            return None
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def picamera2_usable() -> bool:
    try:
        importlib.import_module("picamera2")
    except Exception:  # ImportError, or libcamera bindings missing  # noqa: BLE001
        return False
    return True


class Picamera2Source(FrameSource):
    """Raspberry Pi camera modules through picamera2 (libcamera)."""

    live = True

    def __init__(self, *, width: int = 640, height: int = 480) -> None:
        if not picamera2_usable():
            raise DependencyMissing("picamera2", "python3-picamera2 (`sudo apt install "
                                    "python3-picamera2`, and make the venv with "
                                    "`python3 -m venv --system-site-packages`)", device="camera")
        self.width, self.height = width, height
        self.where = "picamera2"
        self._cam = None

    def open(self) -> None:
        from picamera2 import Picamera2

        try:
            cam = Picamera2()
        except (IndexError, RuntimeError) as exc:
            raise DeviceNotFound(f"no Raspberry Pi camera found ({type(exc).__name__}): check "
                                 "the ribbon cable", device="camera", where="picamera2") from None
        cam.configure(cam.create_preview_configuration(
            main={"size": (self.width, self.height), "format": "RGB888"}))  # BGR byte order
        cam.start()
        self._cam = cam

    def read(self) -> Any | None:
        return None if self._cam is None else self._cam.capture_array()

    def close(self) -> None:
        if self._cam is not None:
            self._cam.stop()
            self._cam.close()
            self._cam = None
