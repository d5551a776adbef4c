"""The decoder chain: zxing-cpp (QR only) first, then budgeted fallbacks for hard frames.

Why a chain: one decoder call settles the easy frames in about a millisecond; the frames it
misses fail for a few recurring reasons (a located symbol whose modules are too small or too
soft to sample, a dark frame with a dozen grey levels of contrast, sensor noise, a screen's
moire). Each fallback below targets one of those reasons and is cheap on its own; on a still
image all of them together stay inside ``budget_ms``:

1. zxing on the full frame (LocalAverage binarizer, its own invert/rotate/downscale retries),
   with ``return_errors`` so a symbol that was located but failed its checksum gives a region.
2. Region fallbacks on that symbol only (a crop, so upscaling is cheap): 2x upscale,
   unsharp mask, denoise, glare flattening (black-hat), global-histogram binarizer.
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
phone for dozens of frames. The work per frame is counted, not timed, so what is read does
not depend on how busy the CPU is: after zxing, a frame does at most ``LIVE_UNITS`` units of
fallback work (a unit is about 0.3 ms of a core of a 2-core x86; each step has a fixed price
in units, see repair.UNITS, ROI_UNITS, FRAME_UNITS, none above the budget). Three kinds of
work share the budget:

- a located symbol zxing could not read (a finder pattern is the evidence a code is there):
  the next region fallback in rotation on its crop (a crop over ROI_MAX_PIXELS is scaled
  down first, so the price stays bounded);
- a symbol-repair job, resumed from frame to frame (repair.read_steps: finder searches,
  batches of grids scored, grids refined and read, each a step), started on a located
  symbol or on every ``spread``-th frame; it goes first on every other frame. One that saw
  a finder pattern and read nothing rests for JOB_REST frames; a new scene (the picture
  changed) drops it, and a grid is always sampled again on the frame it is read from, so a
  job never returns the previous phone's code;
- on a located symbol, or every ``spread``-th frame: the next frame fallback in rotation;
  on a dark frame, one in ``spread``, a contrast stretch instead (_dark_live: CLAHE costs
  more than a frame's budget). pyzbar (~15 ms a call) is not used live.

So an idle camera costs about one zxing call per frame (the median), a frame at most zxing
plus ``LIVE_UNITS`` units, and a code that only a fallback reads is read
within half a second at 30 fps on the generated corpus (bench/decode.py).
A still image (``live=False``: scan-test, single shots) runs every fallback in one call.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Generator
from math import ceil
from typing import Any

from ..errors import DependencyMissing
from .backends import Decoder, PyzbarDecoder, build_decoder
from .repair import SymbolRepair

Stage = tuple[str, Callable[[Any], "str | None"]]
# Live mode's work per frame after zxing, in units (repair.UNITS: about 0.3 ms of a core of a
# 2-core x86). Region fallbacks cost ROI_UNITS per ROI_PIXELS of crop (they work on a 2x
# upscale); frame fallbacks FRAME_UNITS each (measured on bench/decode.py's corpus).
LIVE_UNITS = 6
ROI_PIXELS = 160 * 160
ROI_MAX_PIXELS = 2 * ROI_PIXELS  # live: a larger crop is scaled down to this first
ROI_UNITS = {"up2": 1, "sharpen": 3, "denoise": 1, "flat": 1, "global": 1}
FRAME_UNITS = {"dark": 6, "flat": 4, "half": 1, "fixed": 2, "smooth": 3, "global": 1,
               "upscale": 6}
LIVE_REPAIR_TRIES = 6  # live: grids the symbol repair reads per search of the frame
CROP_REPAIR_TRIES = 8  # ... per search of a located symbol's crop
SCENE_CHANGE = 12  # live: mean grey-level change of a 16x12 thumbnail that makes a new scene
JOB_REST = 3  # live: frames without a new repair job after one that saw finders but read nothing


class DecoderChain:
    """Decode one frame (BGR or grayscale numpy array) to the text of a QR code, or None.

    ``primary``: "zxing" (default; fallbacks need it), "pyzbar" or "opencv" (then the chain is
    that single decoder). ``budget_ms`` (still images): time after which no further fallback
    starts; live mode does a fixed amount of work per frame instead.
    ``last_resort``: add pyzbar as a final frame fallback when it is usable (still images).
    ``spread`` (live): a frame fallback runs on one frame in ``spread`` when nothing was located.
    ``last_stage`` names the stage that produced the last result (for diagnostics/bench);
    ``last_units`` (live) the units of fallback work the last frame did.
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
        self._job: Generator[int, Any, str | None] | None = None  # live: the repair in steps
        self._job_cost = 0  # units of the job's next step
        self._job_saw = False  # the job saw a finder pattern (then it rests after failing)
        self._job_rest = 0  # frames left before a new job may start
        self.last_units = 0  # live: units of fallback work the last frame did (tests, bench)
        self._thumb: Any = None  # the frame the job started on, tiny (to tell a new scene)
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
        self._live_regions = self._region_stages()
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
            plan += [("roi-" + name, stage, crop) for name, stage in self._region_stages()]
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
        """zxing, then at most ``LIVE_UNITS`` units of fallback work (counted, not timed: see
        repair.UNITS) from up to three kinds of work, see the module docstring: a region
        fallback on a located symbol, steps of a symbol-repair job, a frame fallback. The
        kind that goes first turns with each frame (the job every other frame), so none
        waits for good; a step that does not fit in what is left waits for a later frame."""
        self.last_units = 0
        text, regions = self._primary(gray)
        if text is not None:
            self.last_stage = "zxing"
            self._job = None  # a new scene: a job's finders are stale
            return text
        self._frame_no += 1
        if (self._job is not None or self._job_rest) and self._new_scene(gray):
            self._job, self._job_rest = None, 0  # another phone, or none: stale finders
        located = bool(regions)
        due = located or self._frame_no % self.spread == 0  # evidence of a code, or its turn
        dark = due and self._is_dark(gray)
        if self._job_rest:
            self._job_rest -= 1
        elif self._job is None and due and not dark:
            box = self._crop_box(gray, regions[0]) if located else None
            self._job = self._repair_job(gray, box)
            self._thumb = self._thumbnail(gray)
            self._job_cost = next(self._job)
        # each piece of work: its (units, run) on demand; None is the repair job, whose steps
        # are run while they fit (_job_work)
        work: list[Callable[[], tuple[int, Callable[[], tuple[str, str | None]]]] | None] = []
        if located:
            work.append(lambda: self._roi_work(gray, regions[0]))
        if due and not (dark and self._frame_no % self.spread):  # "dark" fills a frame: 1 in 3
            work.append(lambda: self._frame_work(gray, located, dark))
        if work:
            turn = self._frame_no % len(work)
            work = work[turn:] + work[:turn]
        if self._job is not None:  # first on every other frame: it reads most of the rest
            work.insert(0 if self._frame_no % 2 else len(work), None)
        budget = LIVE_UNITS
        for peek in work:
            if peek is None:
                text, budget = self._job_work(gray, budget)
                if text is not None:
                    self.last_stage = "repair"
                    return text
                continue
            cost, run = peek()
            if cost > budget and budget < LIVE_UNITS:
                continue  # not this frame: a later one starts with it
            budget -= cost
            self.last_units += cost
            name, text = run()
            if text is not None:
                self.last_stage = name
                return text
        self._none()
        return None

    def _new_scene(self, gray: Any) -> bool:
        """The picture changed since the repair job started (a 16x12 thumbnail moved by more
        than SCENE_CHANGE grey levels on average), not just by a hand's tremor or noise."""
        thumb = self._thumbnail(gray)
        return float(self._cv2.norm(thumb, self._thumb, self._cv2.NORM_L1)) > SCENE_CHANGE * thumb.size

    def _thumbnail(self, gray: Any) -> Any:
        return self._cv2.resize(gray[::4, ::4], (16, 12), interpolation=self._cv2.INTER_AREA)

    def _job_work(self, gray: Any, budget: int) -> tuple[str | None, int]:
        """Steps of the repair job while they fit in ``budget`` (the first even when it does
        not, if the budget is whole); (text, budget left)."""
        while self._job is not None and (self._job_cost <= budget or budget == LIVE_UNITS):
            budget -= self._job_cost
            self.last_units += self._job_cost
            try:
                self._job_cost = self._job.send(gray)
            except StopIteration as done:
                self._job = None
                if done.value is not None:
                    return done.value, budget
                self._job_rest = JOB_REST if self._job_saw else 0
        return None, budget

    def _repair_job(self, gray: Any, box: tuple[int, int, int, int] | None
                    ) -> Generator[int, Any, str | None]:
        """The symbol repair as the live chain runs it, in steps (repair.read_steps): a
        finder search at half resolution, the cheap test for a code-like pattern; when it
        saw one, a search at full resolution (finder rings 2-3 pixels wide are lost at
        half); on a symbol zxing located, a search of its crop (fewer stray candidates, so
        more of its grids are tried). Then the grids of all of them, best first."""
        repair = self._repair
        h, w = gray.shape
        gray = yield repair.finder_units(h * w / 4)
        found = repair.search(gray, 0.5)
        sources = []
        if found:
            gray = yield repair.finder_units(h * w)
            sources = [(found, LIVE_REPAIR_TRIES), (repair.search(gray), LIVE_REPAIR_TRIES)]
        if box is not None:
            x0, y0, x1, y1 = box
            gray = yield repair.finder_units((x1 - x0) * (y1 - y0))
            sources.append((repair.search(gray, box=box), CROP_REPAIR_TRIES))
        self._job_saw = any(src[0] for src in sources)
        return (yield from repair.read_steps(gray, sources))

    def _roi_work(self, gray: Any, box: tuple[int, int, int, int]
                  ) -> tuple[int, Callable[[], tuple[str, str | None]]]:
        """The next region fallback in rotation on the located symbol's crop: (units, run);
        a crop's units grow with its area (most of these fallbacks upscale it 2x), up to
        ROI_MAX_PIXELS: a larger one is scaled down to that (its modules are large)."""
        crop = self._crop(gray, box)
        if crop.size > ROI_MAX_PIXELS:  # a big symbol has big modules: shrink it, bound the work
            f = (ROI_MAX_PIXELS / crop.size) ** 0.5
            crop = self._cv2.resize(crop, None, fx=f, fy=f, interpolation=self._cv2.INTER_AREA)
        stages = self._live_regions
        name, stage = stages[self._roi_rotation % len(stages)]
        cost = ROI_UNITS[name] * min(ceil(crop.size / ROI_PIXELS), ROI_MAX_PIXELS // ROI_PIXELS)

        def run() -> tuple[str, str | None]:
            self._roi_rotation += 1
            return "roi-" + name, stage(crop)
        return cost, run

    def _frame_work(self, gray: Any, located: bool, dark: bool
                    ) -> tuple[int, Callable[[], tuple[str, str | None]]]:
        """This frame's frame fallback: "dark" (_dark_live) on a dark frame, else the next in
        rotation (not pyzbar: see the module docstring): (units, run)."""
        stage: Callable[[Any], str | None] = self._dark_live
        name = "dark"
        if not dark:
            rest = self._frame_stages[1:]
            name, stage = rest[self._rotation % len(rest)]

        def run() -> tuple[str, str | None]:
            if not dark:
                self._rotation += 1
            return name, stage(gray)
        return FRAME_UNITS[name], run

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
        x0, y0, x1, y1 = self._crop_box(gray, box)
        return gray[y0:y1, x0:x1]

    def _crop_box(self, gray: Any, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """zxing's region of a symbol, padded to keep the quiet zone, inside the frame."""
        x0, y0, x1, y1 = box
        pad = max(12, (x1 - x0) // 4, (y1 - y0) // 4)
        h, w = gray.shape
        return max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)

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
                ("global", lambda g: self._read(g, binarizer=self._bin.GlobalHistogram))]

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
        """Low contrast: the 1st to 99th percentile spans at most 120 grey levels."""
        lo, hi = self._range(gray)
        return hi - lo <= 120

    def _range(self, gray: Any) -> tuple[int, int]:
        """The 1st and 99th percentile grey levels, from a histogram of every 4th pixel: a
        few microseconds, unlike a percentile sort."""
        cv2, np = self._cv2, self._np
        hist = cv2.calcHist([np.ascontiguousarray(gray[::4, ::4])], [0], None, [256], [0, 256])
        cdf = np.cumsum(hist.ravel())
        n = cdf[-1]
        return int(np.searchsorted(cdf, 0.01 * n)), int(np.searchsorted(cdf, 0.99 * n))

    def _dark(self, gray: Any) -> str | None:
        """Dark, low-contrast frames: local contrast equalisation (CLAHE), then smoothing of
        the amplified sensor noise. Skipped (almost free) when the frame has contrast."""
        if not self._is_dark(gray):
            return None
        cv2 = self._cv2
        return self._read(cv2.GaussianBlur(self._clahe.apply(gray), (5, 5), 0))

    def _dark_live(self, gray: Any) -> str | None:
        """The dark-frame fallback of live mode: the 1st-99th percentile range stretched to
        the full scale by a lookup table, then smoothed. CLAHE (_dark) alone costs about
        three zxing calls on 640x480, more than a frame's budget; on the corpus's dark
        frames zxing misses, the stretch reads 39 of 44 as CLAHE does (35 vs 36 dim, 4 vs
        3 dim and moving), in about half the time."""
        cv2, np = self._cv2, self._np
        lo, hi = self._range(gray)
        lut = np.clip((np.arange(256) - lo) * (255.0 / max(1, hi - lo)), 0, 255).astype(np.uint8)
        return self._read(cv2.GaussianBlur(cv2.LUT(gray, lut), (5, 5), 0))
