"""Decoder backends, the chain, and the camera scanner on generated images and videos."""
import cv2
import numpy as np
import pytest

from drivers.decoding import DecoderChain, OpenCVDecoder, PyzbarDecoder, ZxingDecoder
from drivers.decoding.backends import build_decoder
from drivers.errors import DeviceConfigError
from drivers.scanners import ScannerState, build_scanner
from drivers.scanners.camera_sources import picamera2_usable

from .frames import frame_with, qr_gray, write_video
from .helpers import TIMEOUT, Collector

CODE = "281012345678901234"
URL = "https://qr.alipay.com/bax03431ljhokirwl38f00a7"


@pytest.mark.parametrize("cls", [ZxingDecoder, PyzbarDecoder, OpenCVDecoder])
def test_each_backend_reads_a_clean_frame(cls):
    if not cls.is_usable():
        pytest.skip(f"{cls.name} not installed here")
    gray = cv2.cvtColor(frame_with(CODE), cv2.COLOR_BGR2GRAY)
    assert cls().decode(gray) == CODE
    assert cls().decode(cv2.cvtColor(frame_with(None), cv2.COLOR_BGR2GRAY)) is None


def test_build_decoder_rejects_unknown_name():
    with pytest.raises(DeviceConfigError, match="zxing, pyzbar, opencv"):
        build_decoder("quagga")


def test_chain_reads_bgr_and_gray_and_empty():
    chain = DecoderChain()
    assert chain.decode(frame_with(URL)) == URL
    assert chain.last_stage == "zxing"
    assert chain.decode(cv2.cvtColor(frame_with(CODE), cv2.COLOR_BGR2GRAY)) == CODE
    assert chain.decode(frame_with(None)) is None
    assert chain.last_stage is None


def test_chain_inverted_code():
    frame = 255 - frame_with(CODE)  # dark-mode wallet screen
    assert DecoderChain().decode(frame) == CODE


def test_chain_dim_frame_needs_a_fallback():
    """A very dark, noisy frame: the primary pass fails, the contrast-stretch fallback reads it."""
    rng = np.random.default_rng(7)
    img = frame_with(CODE, scale=3).astype(np.float32) * 0.06
    img += rng.normal(0, 2.0, img.shape)
    dim = np.clip(img, 0, 255).astype(np.uint8)
    chain = DecoderChain()
    assert ZxingDecoder().decode(cv2.cvtColor(dim, cv2.COLOR_BGR2GRAY)) is None
    assert chain.decode(dim) == CODE
    assert chain.last_stage == "dark"


def test_chain_small_blurred_code_uses_region_fallback():
    """1.8-pixel modules, softened: zxing locates the symbol but cannot sample it; the chain
    upscales just that region."""
    small = cv2.resize(qr_gray(URL, scale=2), None, fx=0.9, fy=0.9, interpolation=cv2.INTER_AREA)
    img = np.full((480, 640), 160, np.uint8)
    img[200:200 + small.shape[0], 300:300 + small.shape[1]] = small
    img = cv2.GaussianBlur(img, (0, 0), 0.8)
    assert ZxingDecoder().decode(img) is None
    chain = DecoderChain()
    assert chain.decode(img) == URL
    assert chain.last_stage == "roi-up2"


def test_chain_with_single_backend_and_zero_budget():
    assert DecoderChain(primary="opencv").decode(frame_with(CODE)) == CODE
    chain = DecoderChain(budget_ms=0)  # no time for fallbacks: the primary pass still runs
    assert chain.decode(frame_with(CODE)) == CODE


def test_camera_scanner_on_video_file_one_scan_per_code(tmp_path):
    frames = ([frame_with(None, seed=i) for i in range(3)]
              + [frame_with(CODE, x=200 + 4 * i, seed=i) for i in range(8)]
              + [frame_with(None, seed=i) for i in range(3)]
              + [frame_with(URL, scale=3, seed=i) for i in range(6)])
    video = write_video(tmp_path / "scan.avi", frames)
    scanner = build_scanner(kind="camera", camera=str(video), decoder="zxing", debounce_s=60)
    col = Collector()
    scanner.start(col.on_scan, col.on_state)
    assert scanner.finished.wait(TIMEOUT)
    scanner.stop()
    got = []
    while not col.no_more_scans():
        got.append(col.next_scan())
    assert got == [CODE, URL]
    health = scanner.health()
    assert health.details["frames"] == len(frames)
    assert health.details["frames_with_code"] == 14
    assert scanner.latest_frame().seq == len(frames)


def test_camera_scanner_on_image_sequence(tmp_path):
    for i in range(4):
        cv2.imwrite(str(tmp_path / f"f{i:03d}.png"), frame_with(CODE if i == 2 else None))
    scanner = build_scanner(kind="camera", camera=str(tmp_path / "f%03d.png"))
    col = Collector()
    scanner.start(col.on_scan, col.on_state)
    assert col.next_scan() == CODE
    assert scanner.finished.wait(TIMEOUT)
    scanner.stop()
    assert col.no_more_scans()
    preview = scanner.latest_frame()
    assert preview is not None and preview.image.shape == (480, 640, 3)


def test_camera_missing_source_is_a_fault_with_advice(tmp_path):
    scanner = build_scanner(kind="camera", camera=str(tmp_path / "missing.avi"))
    col = Collector()
    scanner.start(col.on_scan, col.on_state)
    col.wait_state(ScannerState.FAULT)
    assert "check scanner.camera" in scanner.health().message
    scanner.stop()


def test_camera_factory_rejects_unknown_decoder():
    with pytest.raises(DeviceConfigError, match="scanner.decoder"):
        build_scanner(kind="camera", camera=0, decoder="magic")


def test_picamera2_is_optional():
    from drivers.errors import DependencyMissing
    from drivers.scanners.camera_sources import Picamera2Source

    if picamera2_usable():
        pytest.skip("picamera2 is installed here")
    with pytest.raises(DependencyMissing, match="python3-picamera2"):
        Picamera2Source()


class _FlakySource:
    """A live camera that delivers frames, drops out (reads fail), refuses to reopen twice, then
    comes back and shows a code."""

    live = True
    where = "fake camera"

    def __init__(self):
        from drivers.errors import DeviceNotFound

        self._error = DeviceNotFound
        self.opens = 0
        self.reads = 0
        self.is_open = False

    def open(self):
        self.opens += 1
        if 2 <= self.opens <= 3:            # unplugged: the first two reopen attempts fail
            raise self._error("camera not found at fake camera: check the cable", device="camera")
        self.is_open = True

    def read(self):
        if not self.is_open:
            raise self._error("not open", device="camera")
        self.reads += 1
        if self.opens == 1 and self.reads > 3:
            raise self._error("camera at fake camera stopped delivering frames: check the cable",
                              device="camera")
        return frame_with(CODE if self.opens >= 4 else None, seed=self.reads)

    def close(self):
        self.is_open = False


def test_live_camera_that_drops_out_reconnects_and_says_so():
    from drivers.scanners.camera import CameraScanner

    source = _FlakySource()
    scanner = CameraScanner(source=source, reconnect_initial_s=0.01, reconnect_max_s=0.05, debounce_s=60)
    col = Collector()
    scanner.start(col.on_scan, col.on_state)
    try:
        ready = col.wait_state(ScannerState.READY)
        lost = col.wait_state(ScannerState.DISCONNECTED, after=ready)
        assert col.next_scan() == CODE                      # back, and scanning again
        col.wait_state(ScannerState.READY, after=lost)
        health = scanner.health()
        assert health.state is ScannerState.READY and "reconnected" in health.message
        assert source.opens == 4 and health.details["reconnects"] == 3
    finally:
        scanner.stop()


def test_picamera2_selectable_from_the_config():
    from drivers.errors import DependencyMissing
    from terminal.config import ScannerSection

    section = ScannerSection(kind="camera", camera_backend="picamera2")
    assert section.driver_options()["backend"] == "picamera2"
    if picamera2_usable():
        pytest.skip("picamera2 is installed here")
    with pytest.raises(DependencyMissing, match="sudo apt install python3-picamera2.*system-site-packages"):
        build_scanner(kind="camera", **section.driver_options())
    assert "backend" not in ScannerSection(kind="serial").driver_options()
