"""The decoder chain: zxing-cpp (QR only) first, then budgeted fallbacks for hard frames.

Why a chain: one decoder call settles the easy frames in about a millisecond; the frames it
misses fail for a few recurring reasons (a located symbol whose modules are too small or too
soft to sample, a dark frame with a dozen grey levels of contrast, sensor noise, a screen's
moire). Each fallback below targets one of those reasons and is cheap on its own; on a still
image all of them together stay inside ``budget_ms``:

1. zxing on the full frame (LocalAverage binarizer, its own invert/rotate/downscale retries),
   with ``return_errors`` so a symbol that was located but failed its checksum gives a region.
2. Region fallbacks on that symbol only (a crop, so upscaling is cheap): 2x upscale,
   unsharp mask, denoise, glare flattening (black-hat), global-histogram binarizer, and in
   live mode symbol repair.
3. Frame fallbacks: symbol repair (on a still image right after the first region
   fallback), local contrast equalisation + smoothing (dark frames only), glare
   flattening, half-scale (averages noise away), fixed-threshold and
   global-histogram binarizers, a light blur (moire), 1.5x upscale, and pyzbar as the last
   resort.

Symbol repair (repair.py) is for glare and fingers: it finds the finder patterns itself,
infers a destroyed one from the others, samples the grid against each module's local light
level and hands zxing a clean redrawn symbol, so the error correction fixes the clipped part
instead of the detector giving up on a damaged finder.

A stage is skipped when its running cost estimate does not fit in what is left of the budget,
so a frame stays within ``budget_ms`` (give or take one estimate's error).

``live=True`` (camera use) spends the fallbacks where a code is likely and spreads them over
frames, because most camera frames hold no code at all and a 30 fps camera sees a held-up
phone for dozens of frames. The work per frame is fixed, not timed, so what is read does not
depend on how busy the CPU is:

- every frame: zxing; when it located a symbol it could not read (a finder pattern is the
  evidence a code is there), two region fallbacks on that symbol's crop, in rotation, and
  one frame fallback in rotation (pyzbar, ~10 ms, joins the rotation only then);
- nothing located: on every ``spread``-th frame, the dark-frame fallback when the frame is
  dark, else a finder search at half resolution (symbol repair; ~0.3 ms when it finds no
  finder, at full resolution when it found one but read nothing) and the next frame fallback
  in rotation; nothing on the others. A located symbol gets the finder search too.

So an idle camera costs about one zxing call per frame (the median); a frame costs at most
zxing + two crops + one stage; a code that only a frame fallback reads is read within
``spread`` x the number of stages frames (under a second at 30 fps).
A still image (``live=False``: scan-test, single shots) runs every fallback in one call.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..errors import DependencyMissing
from .backends import Decoder, PyzbarDecoder, build_decoder
from .repair import SymbolRepair

Stage = tuple[str, Callable[[Any], "str | None"]]
ROI_PER_FRAME = 2  # live: region fallbacks per frame on a located symbol (of 6, in rotation)
LIVE_REPAIR_TRIES = 6  # live: grids tried per frame by the symbol repair (see repair.py)


class DecoderChain:
    """Decode one frame (BGR or grayscale numpy array) to the text of a QR code, or None.

    ``primary``: "zxing" (default; fallbacks need it), "pyzbar" or "opencv" (then the chain is
    that single decoder). ``budget_ms`` (still images): time after which no further fallback
    starts; live mode does a fixed amount of work per frame instead.
    ``last_resort``: add pyzbar as a final frame fallback when it is usable (still images).
    ``spread`` (live): a frame fallback runs on one frame in ``spread`` when nothing was located.
    ``last_stage`` names the stage that produced the last result (for diagnostics/bench).
    """

    def __init__(self, *, primary: str = "zxing", budget_ms: float = 25.0, live: bool = False,
                 last_resort: bool = True, spread: int = 3) -> None:
        import cv2
        import numpy as np

        self._cv2 = cv2
        self._np = np
        self.budget_ms = budget_ms
        self.live = live
        self.spread = max(1, spread)
        self.last_stage: str | None = None
        self._rotation = 0
        self._roi_rotation = 0
        self._frame_no = 0
        self._cost: dict[str, float] = {}  # running estimate of each stage's ms
        self._single: Decoder | None = None
        if primary != "zxing":
            self._single = build_decoder(primary)
            self._frame_stages: list[Stage] = []
            return
        try:
            import zxingcpp
        except ImportError as exc:
            raise DependencyMissing("zxing", "zxing-cpp (pip install zxing-cpp)",
                                    device="camera") from exc
        self._zx = zxingcpp
        self._qr: Any = zxingcpp.BarcodeFormat.QRCode   # one format: read_barcodes accepts it (its stubs say BarcodeFormats)
        self._bin = zxingcpp.Binarizer
        self._clahe = cv2.createCLAHE(clipLimit=4.0, tileGridSize=(8, 8))
        self._repair = SymbolRepair(lambda img: self._read(
            img, is_pure=True, try_rotate=False, try_downscale=False, try_invert=False))
        self._frame_stages = [
            ("dark", self._dark),
            ("flat", lambda g: self._read(self._flatten(g, 21))),
            ("half", self._half),
            ("fixed", lambda g: self._read(g, binarizer=self._bin.FixedThreshold)),
            ("smooth", lambda g: self._read(cv2.GaussianBlur(g, (5, 5), 0))),
            ("global", lambda g: self._read(g, binarizer=self._bin.GlobalHistogram)),
            ("upscale", lambda g: self._read(
                cv2.resize(g, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_LINEAR))),
        ]
        self._last_resort: list[Stage] = []
        if last_resort and PyzbarDecoder.is_usable():
            zbar = PyzbarDecoder()
            self._last_resort = [("pyzbar", zbar.decode)]
            if not live:
                self._frame_stages.append(("pyzbar", zbar.decode))

    # ------------------------------------------------------------------ public

    def decode(self, frame: Any) -> str | None:
        gray = frame if frame.ndim == 2 else self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2GRAY)
        if self._single is not None:
            self.last_stage = self._single.name
            return self._single.decode(gray)
        if self.live:
            return self._decode_live(gray)
        deadline = time.perf_counter() + self.budget_ms / 1000.0
        text, regions = self._primary(gray)
        if text is not None:
            self.last_stage = "zxing"
            return text
        # region fallbacks on the located symbols, with the symbol repair on the whole frame
        # right after the first (the cheapest, 2x upscale): glare and fingers are the
        # commonest failure, and zxing's region for a damaged finder is often off
        plan: list[tuple[str, Callable[[Any], str | None], Any]] = []
        for box in regions[:2]:
            crop = self._crop(gray, box)
            plan += [("roi-" + name, stage, crop) for name, stage in self._region_stages()
                     if name != "repair"]
        plan.insert(1 if plan else 0, ("repair", self._repair.decode, gray))
        for name, stage, image in plan:
            text = self._timed(name, stage, image, deadline)
            if text is not None:
                self.last_stage = name
                return text
        for name, stage in self._frame_stages:
            text = self._timed(name, stage, gray, deadline)
            if text is not None:
                self.last_stage = name
                return text
        self._none()
        return None

    def _decode_live(self, gray: Any) -> str | None:
        """A fixed amount of work per frame, whatever the machine's speed (so what is read
        does not depend on a busy CPU): zxing; ``ROI_PER_FRAME`` region fallbacks in
        rotation on a located symbol; at most one frame fallback (see _frame_plan)."""
        text, regions = self._primary(gray)
        if text is not None:
            self.last_stage = "zxing"
            return text
        if regions:
            crop = self._crop(gray, regions[0])
            stages = self._region_stages()
            for _ in range(ROI_PER_FRAME):
                name, stage = stages[self._roi_rotation % len(stages)]
                self._roi_rotation += 1
                text = stage(crop)
                if text is not None:
                    self.last_stage = "roi-" + name
                    return text
        for name, stage in self._frame_plan(gray, located=bool(regions)):
            text = stage(gray)
            if text is not None:
                self.last_stage = name
                return text
        self._none()
        return None

    def _frame_plan(self, gray: Any, *, located: bool) -> list[Stage]:
        """Live mode: the one frame fallback this frame gets, or none (most frames of an idle
        camera), see the module docstring."""
        stages = self._frame_stages
        self._frame_no += 1
        if not located and self._frame_no % self.spread:
            return []
        if self._is_dark(gray):
            return stages[:1]  # "dark": the one fallback that reads a dim frame
        rest = stages[1:] + (self._last_resort if located else [])
        k = self._rotation % len(rest)
        self._rotation += 1
        # a finder search at half resolution (~0.3 ms) before the stage in rotation, for a
        # symbol whose finder pattern is too damaged for zxing's detector (or whose located
        # region is off: the region fallbacks' repair only sees that crop)
        return [("repair", self._scan_repair), rest[k]]

    def _scan_repair(self, gray: Any) -> str | None:
        """Half resolution first (cheap on an idle frame); full resolution when that saw a
        finder-like pattern but read nothing (finder rings 2-3 pixels wide are lost at half)."""
        text = self._repair.decode(gray, scale=0.5, max_tries=LIVE_REPAIR_TRIES)
        if text is None and self._repair.last_finders:
            text = self._repair.decode(gray, max_tries=LIVE_REPAIR_TRIES)
        return text

    def _timed(self, name: str, stage: Callable[[Any], str | None], image: Any,
               deadline: float | None) -> str | None:
        """Run ``stage`` only if its usual cost fits in what is left of the budget (always,
        without a deadline)."""
        now = time.perf_counter()
        cost = self._cost.get(name, 0.0)
        if deadline is not None and now + cost / 1000.0 > deadline:
            self._cost[name] = 0.9 * cost  # one slow run (a busy machine) must not bar it for good
            return None
        text = stage(image)
        ms = (time.perf_counter() - now) * 1000.0
        old = self._cost.get(name)
        self._cost[name] = ms if old is None else 0.8 * old + 0.2 * ms
        return text

    # ------------------------------------------------------------------ stages

    def _none(self) -> None:
        self.last_stage = None

    def _read(self, gray: Any, **kwargs: Any) -> str | None:
        for r in self._zx.read_barcodes(gray, formats=self._qr, **kwargs):
            if r.valid and r.text:
                return r.text
        return None

    def _primary(self, gray: Any) -> tuple[str | None, list[tuple[int, int, int, int]]]:
        regions = []
        for r in self._zx.read_barcodes(gray, formats=self._qr, return_errors=True):
            if r.valid and r.text:
                return r.text, []
            p = r.position
            xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
            ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
            regions.append((min(xs), min(ys), max(xs), max(ys)))
        return None, regions

    def _crop(self, gray: Any, box: tuple[int, int, int, int]) -> Any:
        x0, y0, x1, y1 = box
        pad = max(12, (x1 - x0) // 4, (y1 - y0) // 4)  # keep the quiet zone
        h, w = gray.shape
        return gray[max(0, y0 - pad):min(h, y1 + pad), max(0, x0 - pad):min(w, x1 + pad)]

    def _region_stages(self) -> list[Stage]:
        cv2 = self._cv2
        fast = {"try_rotate": False, "try_downscale": False}

        def up2(g: Any) -> str | None:
            return self._read(cv2.resize(g, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC),
                              **fast)

        def sharpen(g: Any) -> str | None:
            big = cv2.resize(g, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            soft = cv2.GaussianBlur(big, (0, 0), 3.0)
            return self._read(cv2.addWeighted(big, 2.5, soft, -1.5, 0), **fast)

        def denoise(g: Any) -> str | None:
            big = cv2.resize(g, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            return self._read(cv2.GaussianBlur(big, (5, 5), 0), **fast)

        def flat(g: Any) -> str | None:
            return self._read(self._flatten(g, max(9, min(g.shape) // 8) | 1), **fast)

        return [("up2", up2), ("sharpen", sharpen), ("denoise", denoise), ("flat", flat),
                ("global", lambda g: self._read(g, binarizer=self._bin.GlobalHistogram)),
                ("repair", self._repair.decode)]

    def _flatten(self, gray: Any, k: int) -> Any:
        """Glare: a reflection ADDS a smooth light field that washes the dark modules out. A
        black-hat (closing minus image, over a few modules) keeps each module's darkness
        against its own neighbourhood's white and drops the field; only the clipped core of
        a highlight stays lost (the error correction's share)."""
        cv2 = self._cv2
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
        dark = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
        return cv2.normalize(255 - dark, None, 0, 255, cv2.NORM_MINMAX)

    def _half(self, gray: Any) -> str | None:
        cv2 = self._cv2
        return self._read(cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
                          try_downscale=False)

    def _is_dark(self, gray: Any) -> bool:
        """Low contrast (1st to 99th percentile under 120 grey levels), from a histogram of
        every 4th pixel: a few microseconds, unlike a percentile sort."""
        cv2, np = self._cv2, self._np
        hist = cv2.calcHist([np.ascontiguousarray(gray[::4, ::4])], [0], None, [256], [0, 256])
        cdf = np.cumsum(hist.ravel())
        n = cdf[-1]
        lo = int(np.searchsorted(cdf, 0.01 * n))
        hi = int(np.searchsorted(cdf, 0.99 * n))
        return hi - lo <= 120

    def _dark(self, gray: Any) -> str | None:
        """Dark, low-contrast frames: local contrast equalisation (CLAHE), then smoothing of
        the amplified sensor noise. Skipped (almost free) when the frame has contrast."""
        if not self._is_dark(gray):
            return None
        cv2 = self._cv2
        return self._read(cv2.GaussianBlur(self._clahe.apply(gray), (5, 5), 0))
