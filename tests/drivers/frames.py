"""Generated image fixtures: camera-like frames carrying a QR code (segno make_qr)."""
from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import segno


def qr_gray(data: str, scale: int = 4) -> np.ndarray:
    buf = io.BytesIO()
    segno.make_qr(data, error="m").save(buf, kind="png", scale=scale, border=4)
    return cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


def frame_with(data: str | None, *, scale: int = 4, x: int = 220, y: int = 140,
               bg: int = 150, w: int = 640, h: int = 480, seed: int = 0) -> np.ndarray:
    """A 640x480 BGR frame: a grey counter with some clutter, and the code (if any)."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w), bg, np.uint8)
    for _ in range(4):
        x0, y0 = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 60))
        cv2.rectangle(img, (x0, y0), (x0 + 50, y0 + 40), int(rng.integers(0, 256)), -1)
    if data is not None:
        q = qr_gray(data, scale)
        img[y:y + q.shape[0], x:x + q.shape[1]] = q
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def write_video(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    """Motion-JPEG AVI (built into every OpenCV build)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    for f in frames:
        writer.write(f)
    writer.release()
    return path
