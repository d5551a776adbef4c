"""The camera scanner live, as at the counter: a 30 fps video played in real time through
CameraScanner (capture thread, decode thread, the decoder chain in live mode).

    python bench/live_camera.py                # every scenario, 3 s idle / 2 s code / 3 s idle
    python bench/live_camera.py --runs 3       # repeat each scenario (medians reported)

Each scenario writes a Motion-JPEG AVI (what most USB cameras send) of a counter with fresh
sensor noise on every frame; a phone showing a code is held in view for 2 s in the middle.
Reported per scenario:
- idle: the median decode milliseconds per frame and the process's CPU % over the idle
  seconds (one core; includes JPEG decoding of the video, which a real camera's capture
  costs too), beside the same video through the same pipeline with zxing alone (the floor);
  "busy %" is decode wall time per idle second;
- time from the code's first frame leaving the camera to the scan event, and the frame it
  was read on.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import decode as corpus_gen

from drivers.decoding import build_decoder
from drivers.scanners.camera import CameraScanner
from drivers.scanners.camera_sources import FrameSource, OpenCVSource

FPS = 30
SCENARIOS = ["clean", "dim", "glare", "hardglare", "darkmotion"]


def scene_frames(cls: str, seed: int, idle_s: float, code_s: float) -> tuple[list[np.ndarray], int, str]:
    """Idle counter, then the same counter with a phone showing a code, then idle again.
    Returns the frames, the index of the first frame with the code, and the payload."""
    rng = np.random.default_rng(seed)
    while True:  # the generator's frame for this class, without its sensor noise
        f = corpus_gen.make_frame(cls, rng)
        if f.payload is not None:
            break
    with_code = cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    counter = corpus_gen.background(rng).astype(np.float32)
    if cls in ("dim", "darkmotion"):  # the whole shop is dark, not just the code's frames
        counter = counter * float(np.mean(with_code) / max(1.0, np.mean(counter)))
    n_idle, n_code = int(idle_s * FPS), int(code_s * FPS)
    frames = []
    for i in range(2 * n_idle + n_code):
        base = with_code if n_idle <= i < n_idle + n_code else counter
        noisy = np.clip(base + rng.normal(0, 2.0, base.shape), 0, 255).astype(np.uint8)
        frames.append(cv2.cvtColor(noisy, cv2.COLOR_GRAY2BGR))
    return frames, n_idle, f.payload


class PacedSource(FrameSource):
    """A video file played as a live camera: one frame every 1/30 s, the newest wins (the
    scanner drops what the decoder cannot keep up with), the time each frame left noted."""

    live = True

    def __init__(self, path: Path) -> None:
        self._file = OpenCVSource(str(path))
        self.where = f"paced {path.name}"
        self.sent_at: list[float] = []

    def open(self) -> None:
        self._file.open()
        self._t0 = time.perf_counter()

    def read(self):
        frame = self._file.read()
        if frame is None:
            return None
        due = self._t0 + len(self.sent_at) / FPS
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)  # the camera's frame clock, not a race
        self.sent_at.append(time.perf_counter())
        return frame

    def close(self) -> None:
        self._file.close()


class ZxingOnly:
    """The floor: zxing alone in place of the chain, in the same pipeline."""

    _single = None

    def __init__(self) -> None:
        self._zx = build_decoder("zxing")

    def decode(self, frame):
        return self._zx.decode(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))


def run_scenario(cls: str, seed: int, tmp: Path, idle_s: float, code_s: float) -> dict[str, float]:
    frames, first_code, payload = scene_frames(cls, seed, idle_s, code_s)
    path = corpus_gen_write(tmp / f"{cls}.avi", frames)
    out = play(path, first_code, payload, zxing_only=False)
    floor = play(path, first_code, payload, zxing_only=True)
    out["zxing_idle_ms_median"] = floor["idle_ms_median"]
    out["zxing_process_cpu_pct"] = floor["process_cpu_pct"]
    return out


def play(path: Path, first_code: int, payload: str, *, zxing_only: bool) -> dict[str, float]:
    source = PacedSource(path)
    scanner = CameraScanner(source=source)
    if zxing_only:
        scanner.chain = ZxingOnly()
    got: list[tuple[float, str]] = []

    def on_scan(text: str) -> None:
        got.append((time.perf_counter(), text))

    cpu0 = time.process_time()
    scanner.start(on_scan)
    idle_end = None
    while not scanner.finished.wait(0.05):
        if idle_end is None and len(source.sent_at) >= first_code:
            idle_end = (time.perf_counter(), time.process_time(), list(scanner._decode_ms))
    scanner.stop()
    wall_idle = idle_end[0] - source._t0
    proc_cpu = (idle_end[1] - cpu0) / wall_idle * 100
    idle_ms = idle_end[2]
    decoder_busy = sum(idle_ms) / 1000 / wall_idle * 100
    out = {"decoder_busy_pct": decoder_busy, "process_cpu_pct": proc_cpu,
           "idle_ms_median": statistics.median(idle_ms) if idle_ms else float("nan"),
           "read": 0.0, "latency_ms": float("nan"), "frame": float("nan")}
    if got:
        t_scan, text = got[0]
        t_first = source.sent_at[first_code]
        out["latency_ms"] = (t_scan - t_first) * 1000
        out["frame"] = float(sum(1 for t in source.sent_at[first_code:] if t <= t_scan))
        out["read"] = float(text == payload)
    return out


def corpus_gen_write(path: Path, frames: list[np.ndarray]) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (w, h))
    if not writer.isOpened():
        raise SystemExit("OpenCV cannot write Motion-JPEG here")
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--idle-s", type=float, default=3.0)
    parser.add_argument("--code-s", type=float, default=2.0)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    corpus_gen.pin_one_core()
    print("idle: per-frame decode ms (median) and process CPU % over the idle seconds, chain vs "
          "zxing alone in the same pipeline; code: first frame to scan event")
    print(f"{'scenario':<12}{'idle ms':>8}{'zxing ms':>9}{'x zxing':>8}{'CPU %':>7}{'zxing CPU %':>12}"
          f"{'busy %':>7}{'read':>6}{'first->scan ms':>16}{'frame':>7}")
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        for cls in args.scenarios.split(","):
            runs = [run_scenario(cls, 1000 + r, Path(tmp), args.idle_s, args.code_s)
                    for r in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            reads = sum(r["read"] for r in runs)
            print(f"{cls:<12}{med['idle_ms_median']:>8.2f}{med['zxing_idle_ms_median']:>9.2f}"
                  f"{med['idle_ms_median'] / med['zxing_idle_ms_median']:>8.2f}"
                  f"{med['process_cpu_pct']:>7.1f}{med['zxing_process_cpu_pct']:>12.1f}"
                  f"{med['decoder_busy_pct']:>7.1f}"
                  f"{reads:>4.0f}/{len(runs):<1}{med['latency_ms']:>16.0f}{med['frame']:>7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
