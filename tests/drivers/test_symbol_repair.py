"""Symbol repair (drivers/decoding/repair.py): codes whose finder pattern glare or a finger
destroyed, which zxing's detector cannot locate although the error correction could fix the
damage (bench/glare_budget.py measures how often that happens)."""
import cv2
import numpy as np
import pytest
import zxingcpp

from drivers.decoding import DecoderChain, ZxingDecoder
from drivers.decoding.repair import SymbolRepair

from .frames import frame_with

URL = "https://qr.alipay.com/bax03431ljhokirwl38f00a7"  # version 4 at level Q: 33 modules
X, Y, SCALE = 200, 100, 5  # where frame_with puts the symbol (module 0 at X + 4 * SCALE)


def module_xy(col: float, row: float) -> tuple[int, int]:
    return int(X + (4 + col) * SCALE), int(Y + (4 + row) * SCALE)


def glared(*, finder: str = "top-right", angle: float = 0.0) -> np.ndarray:
    """The code under a ceiling light: a saturated patch over one finder pattern, and a
    smooth highlight that lifts the dark modules around it (not clipped there)."""
    img = cv2.cvtColor(frame_with(URL, x=X, y=Y, scale=SCALE), cv2.COLOR_BGR2GRAY).astype(np.float32)
    n = 33
    col, row = {"top-right": (n - 3.5, 3.5), "bottom-left": (3.5, n - 3.5),
                "top-left": (3.5, 3.5)}[finder]
    cx, cy = module_xy(col, row)
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
    img += 150 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (7 * SCALE) ** 2))
    img[(xx - cx) ** 2 + (yy - cy) ** 2 < (2.6 * SCALE) ** 2] = 255  # the finder's core and ring
    img = np.clip(img, 0, 255).astype(np.uint8)
    if angle:
        rot = cv2.getRotationMatrix2D((320, 240), angle, 1.0)
        img = cv2.warpAffine(img, rot, (640, 480), borderValue=150)
    return img


def pure_read(img):
    for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode, is_pure=True):
        if r.valid and r.text:
            return r.text
    return None


@pytest.mark.parametrize("finder", ["top-right", "bottom-left", "top-left"])
def test_a_code_with_a_finder_pattern_lost_to_glare_is_read(finder):
    img = glared(finder=finder)
    assert ZxingDecoder().decode(img) is None  # the detector needs all three finders
    chain = DecoderChain(budget_ms=1000)
    assert chain.decode(img) == URL
    assert chain.last_stage in ("repair", "roi-repair")


def test_the_repair_completes_the_missing_finder_at_an_angle():
    img = glared(angle=23)
    repair = SymbolRepair(pure_read)
    assert repair.decode(img) == URL
    assert repair.last_finders == 2


def test_live_chain_reads_it_within_half_a_second_and_idle_frames_stay_plain():
    img = glared()
    chain = DecoderChain(live=True)
    for frame_no in range(1, 16):
        text = chain.decode(img)
        if text is not None:
            break
    assert text == URL and frame_no <= 15  # the repair runs in steps over a few frames
    chain = DecoderChain(live=True)
    idle = cv2.cvtColor(frame_with(None), cv2.COLOR_BGR2GRAY)
    assert [chain.decode(idle) for _ in range(6)] == [None] * 6


def test_damage_beyond_the_error_correction_reads_nothing_not_something_wrong():
    img = glared()
    x0, y0 = module_xy(8, 8)
    x1, y1 = module_xy(33, 33)
    img[y0:y1, x0:x1] = 255  # most of the data and error correction codewords clipped
    assert SymbolRepair(pure_read).decode(img) is None
    assert DecoderChain(budget_ms=1000).decode(img) is None


def test_no_finder_like_patterns_no_work():
    repair = SymbolRepair(pure_read)
    assert repair.decode(cv2.cvtColor(frame_with(None), cv2.COLOR_BGR2GRAY)) is None
    assert repair.last_finders == 0
    noise = np.random.default_rng(3).integers(0, 256, (480, 640), dtype=np.uint8)
    assert repair.decode(noise) is None  # sensor noise: no contour explosion, no read
