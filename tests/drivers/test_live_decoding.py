"""The live decoder chain's per-frame work budget (drivers/decoding/chain.py, live=True): a
camera frame gets zxing plus a counted, bounded amount of fallback work, and the symbol
repair is spread over frames as a resumable job (repair.read_steps)."""
import cv2
import numpy as np
import pytest

from drivers.decoding import DecoderChain
from drivers.decoding.chain import LIVE_UNITS
from drivers.decoding.repair import SymbolRepair

from .frames import frame_with
from .test_symbol_repair import SCALE, URL, X, Y, glared, module_xy, pure_read

HALF_SECOND = 15  # frames at 30 fps


def run_live(chain, frames):
    """(text, frame number) of the first read, and the units of work of every frame."""
    units = []
    for k, img in enumerate(frames, 1):
        text = chain.decode(img)
        units.append(chain.last_units)
        if text is not None:
            return text, k, units
    return None, None, units


@pytest.mark.parametrize("kw", [{}, {"finder": "bottom-left"}, {"finder": "top-left"}, {"angle": 23}])
def test_a_glared_code_is_read_within_half_a_second_without_any_frame_over_budget(kw):
    img = glared(**kw)
    text, frame_no, units = run_live(DecoderChain(live=True), [img] * HALF_SECOND)
    assert text == URL and frame_no <= HALF_SECOND
    assert max(units) <= LIVE_UNITS  # the repair came in steps, not in one long frame
    assert sum(units) > LIVE_UNITS  # ... over several frames (one frame's budget is not enough)


def test_no_frame_does_more_than_its_budget():
    rng = np.random.default_rng(5)
    idle = frame_with(None)
    dark = (cv2.cvtColor(frame_with(URL), cv2.COLOR_BGR2GRAY) * 0.08
            + rng.normal(0, 2, (480, 640))).clip(0, 255).astype(np.uint8)
    noise = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    # a symbol zxing locates but nothing can read (its data clipped): every kind of work runs
    clipped = cv2.cvtColor(frame_with(URL, x=X, y=Y, scale=SCALE), cv2.COLOR_BGR2GRAY)
    (x0, y0), (x1, y1) = module_xy(8, 8), module_xy(33, 33)
    clipped[y0:y1, x0:x1] = 255
    for scene in (idle, noise, clipped, glared(), dark, dark[:, ::-1].copy()):
        chain = DecoderChain(live=True)
        text, _k, units = run_live(chain, [scene] * 30)
        assert max(units) <= LIVE_UNITS, units
        assert text is not None or any(units), units  # the fallbacks did run


def test_the_idle_camera_mostly_runs_zxing_alone():
    chain = DecoderChain(live=True)
    _text, _k, units = run_live(chain, [frame_with(None)] * 30)
    assert units.count(0) >= 20  # fallbacks on one frame in three (spread)


def test_a_repair_job_never_returns_the_previous_phones_code():
    """A job half-way through one code's grids, then the phone is gone (another scene):
    whatever it had sampled is never read out on the new frames."""
    chain = DecoderChain(live=True)
    img = glared()
    text, frame_no, _units = run_live(chain, [img] * HALF_SECOND)
    assert text == URL
    for stop in range(1, frame_no):  # stop showing the code just before each frame it took
        chain = DecoderChain(live=True)
        assert run_live(chain, [img] * stop)[0] is None
        blank = frame_with(None, seed=stop)
        assert run_live(chain, [blank] * HALF_SECOND)[0] is None


def test_the_batched_grid_scoring_equals_the_single_grid_one():
    """score_many (one remap and a few filters for many grids) is the same judgement as
    sample + modules + score grid by grid, at the image borders and in perspective too."""
    gray = glared()
    repair = SymbolRepair(pure_read)
    rng = np.random.default_rng(1)
    for version in (1, 2, 4, 6):
        n = 17 + 4 * version
        grids = []
        for _ in range(12):
            tl = rng.uniform(-20, 400, 2)
            tr = tl + rng.uniform(60, 250) * np.array([1, rng.uniform(-0.2, 0.2)])
            bl = tl + rng.uniform(60, 250) * np.array([rng.uniform(-0.2, 0.2), 1])
            br = None if rng.random() < 0.5 else tr + bl - tl + rng.uniform(-6, 6, 2)
            grids.append((tl, tr, bl, br))
        scores, dark = repair.score_many(gray, grids, version, modules=True)
        for (tl, tr, bl, br), sc, d in zip(grids, scores, dark):
            one = repair.modules(repair.sample(gray, tl, tr, bl, n, br=br))
            assert (one == d).all()
            assert sc == pytest.approx(repair.score(one, version))


def test_a_new_phone_is_not_kept_waiting_by_the_last_ones_repair():
    """A repair job on a symbol nothing can read (it runs, then rests some frames after
    failing: the same picture would fail again) is dropped when the picture changes, so the
    next phone's repair starts at once."""
    clipped = cv2.cvtColor(frame_with(URL, x=X, y=Y, scale=SCALE), cv2.COLOR_BGR2GRAY)
    (x0, y0), (x1, y1) = module_xy(8, 8), module_xy(33, 33)
    clipped[y0:y1, x0:x1] = 255
    moved = np.roll(glared(), 120, axis=1)  # the next phone, held a little further right
    alone = run_live(DecoderChain(live=True), [moved] * HALF_SECOND)[1]
    for wait in range(20, 32):  # the unreadable one's jobs end (and rest) at various frames
        chain = DecoderChain(live=True)
        assert run_live(chain, [clipped] * wait)[0] is None
        assert run_live(chain, [moved] * HALF_SECOND)[1] <= alone + 2
