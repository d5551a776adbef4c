"""Symbol repair: read a QR code whose finder pattern or timing is damaged by glare or a finger.

Why: on a phone screen under a ceiling light, the part of a code lost to a specular highlight
or a thumb is usually well within what the code's error correction can fix (bench/glare_budget.py
counts it: 98 of the 100 hard-glare frames are recoverable in principle). What stops zxing is
the *detector*: 44 of those frames have a finder pattern hit, and a finder whose rings are
washed out or covered fails the 1:1:3:1:1 scan that zxing's detector needs, so the symbol is
never even sampled; zxing also binarises against a local mean that a highlight's steep edge
throws off, turning partly glared dark modules light.

What this does instead, using only what the standard fixes:

1. find finder-pattern candidates (three nested contours) on a binarisation against the
   local mean: the intact finders survive even when the third does not;
2. from three finders, or from two (the third's place follows from the right-angle layout:
   six hypotheses), or from one (which corner it is, the symbol's quarter turn and its size
   all guessed), a grid for each plausible size, ranked by how well the fixed patterns
   (timing, alignment, finders) come out; the inferred corners and the fourth corner
   refined by up to a module the same way; each module sampled at its centre;
3. each module judged against its own 3x3-module neighbourhood (the light and dark levels
   there, smoothed: a highlight *adds* a smooth field, so a dark module under it is still
   darker than its light neighbours, and a clipped area reads light, an error the error
   correction pays for);
4. the function patterns repainted (finders, separators, timing, alignment, dark module: the
   standard fixes them), the grid rendered clean and handed to zxing (is_pure), which
   reads the format information and corrects the data with Reed-Solomon as usual.

A wrong hypothesis fails the format check or Reed-Solomon, so a mis-read needs a code to
decode validly from a misplaced grid; zxing's checks make that as unlikely as on any frame.

Cost: a search is a few milliseconds (finders 1-3 ms on 640x480, then up to 40 hypotheses and
six grids read, each refined by up to 72 small moves), too much for one camera frame next to
zxing. So the search is also a sequence of small steps of known price (steps(),
read_steps(): yields the units of the next step, is sent the frame to do it on), which the
live chain runs a few units per frame; the grids are scored in batches (grid_batch.py).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator
from math import ceil
from typing import Any

from .grid_batch import GridScorer

# centre index of the bottom-right alignment pattern, QR versions 2-6 (version 1 has none;
# from 7 on the version information must be read too: those sizes are not repaired)
_ALIGN = {2: 18, 3: 22, 4: 26, 5: 30, 6: 34}
MAX_VERSION = 6
MAX_GRIDS = 40  # hypotheses scored per call (a cluttered frame has many candidates)
_JITTER = [(dx, dy) for dx in (-1, -0.5, 0, 0.5, 1) for dy in (-1, -0.5, 0, 0.5, 1)
           if dx or dy]  # in modules
GOOD_SCORE = 0.95  # share of fixed modules right above which a grid is not searched further
MAX_CONTOURS = 4000  # a frame of sensor noise yields tens of thousands: not a code, give up
# Units of work of each step of steps(), for the live camera's per-frame budget (chain.py);
# one unit is about 0.3 ms of a core of the benchmarks' 2-core x86 (zxing on a 640x480 frame
# is 1-2): the finder search per FINDER_PIXELS searched, scoring grids per
# grid_batch.GRID_MODULES modules (in batches of at most GRID_BATCH grids), one grid
# repainted and read. Counted, never timed, so what a frame does is the same on a busy
# machine as on an idle one (calibrated on bench/decode.py's corpus: 0.23-0.35 ms a unit).
UNITS = {"finders": 1, "grids": 1, "read": 1}
FINDER_PIXELS = 640 * 480 // 5
GRID_BATCH = 24
SCORE_SPREAD = 0.16  # grids scoring this far below their tier's best are not read (the
# corpus's repaired reads came from at most 0.145 below)


class SymbolRepair:
    """Find finder patterns, hypothesise the grid, resample, repaint, decode (see module doc).

    ``read(gray_image_of_a_clean_symbol) -> text | None`` is the decoder of the repainted
    grid (zxing, is_pure). ``max_tries`` bounds the grids tried per call."""

    def __init__(self, read: Callable[[Any], str | None], *, max_tries: int = 24) -> None:
        import cv2
        import numpy as np

        self._cv2, self._np = cv2, np
        self._read = read
        self.max_tries = max_tries
        self.last_finders = 0  # finder candidates seen by the last call (diagnostics)
        self._finder = self.repaint(np.zeros((21, 21), bool), 1)[:7, :7].copy()
        self._align = np.ones((5, 5), bool)
        self._align[1:4, 1:4] = False
        self._align[2, 2] = True
        self._scorer = GridScorer(self._finder, self._align)

    # ------------------------------------------------------------------ public

    def decode(self, gray: Any, *, scale: float = 1.0, max_tries: int | None = None) -> str | None:
        """Text of a repaired symbol in ``gray``, or None. ``scale`` < 1 searches the finders
        on a downscaled copy (cheaper; sampling stays at full resolution). ``max_tries``
        overrides the bound on grids handed to zxing for this call."""
        steps = self.steps(gray, scale=scale, max_tries=max_tries)
        try:
            next(steps)
            while True:
                steps.send(gray)
        except StopIteration as done:
            return done.value

    def steps(self, gray: Any, *, scale: float = 1.0, max_tries: int | None = None
              ) -> Generator[int, Any, str | None]:
        """decode() cut into steps of bounded work, for a live camera that can spend only
        a little time on each frame (see chain.py): yields the units of work (UNITS) of the
        step it does next, then waits to be sent the image to do it on (the same view of
        the next camera frame: the finders found on one frame are sampled on a later one,
        which a held phone allows); returns the text, or None when every step is done.
        ``gray`` is only for the size of the images to come."""
        h, w = gray.shape[:2]
        gray = yield self.finder_units(h * w * scale * scale)
        found = self.search(gray, scale)
        self.last_finders = len(found)
        tries = self.max_tries if max_tries is None else max_tries
        return (yield from self.read_steps(gray, [(found, tries)]))

    def search(self, gray: Any, scale: float = 1.0, box: tuple[int, int, int, int] | None = None
               ) -> list[tuple[Any, float, float]]:
        """finders() on ``gray`` scaled by ``scale``, or on its crop to ``box`` (x0, y0, x1,
        y1), in ``gray``'s coordinates."""
        cv2, np = self._cv2, self._np
        if box is not None:
            x0, y0, x1, y1 = box
            return [(p + np.array([x0, y0]), m, a) for p, m, a in self.finders(gray[y0:y1, x0:x1])]
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale,
                                                     interpolation=cv2.INTER_AREA)
        return [(p / scale, m / scale, a) for p, m, a in self.finders(small)]

    @staticmethod
    def finder_units(pixels: float) -> int:
        """Units of work of a finder search over ``pixels`` pixels."""
        return ceil(pixels * UNITS["finders"] / FINDER_PIXELS)

    def read_steps(self, gray: Any, sources: list[tuple[list[tuple[Any, float, float]], int]]
                   ) -> Generator[int, Any, str | None]:
        """Grids from the finders of each source (one finder search each: (finders, grids it
        may read)), read best first, in steps (see steps()). By tier (three finders seen,
        two, one), every hypothesis and size of every source, ranked together by how well
        its fixed patterns (timing, alignment, finders) come out: the right grid scores
        high, a wrong one near chance, and most codes read on the first grid. (Two
        sources often offer nearly the same grid; both are read: a fraction of a module
        apart, one may refine onto the modules where the other does not.)"""
        hyps = [list(self.hypotheses(found)) for found, _tries in sources]
        left = [tries for _found, tries in sources]  # grids each source may still read
        scored = [0] * len(sources)  # hypotheses each source has had scored
        for tier in ("three", "two", "one"):
            options: list[tuple[Any, Any, Any, float, int, tuple[int, ...]]] = []
            owner: list[int] = []
            for si, (found, _tries) in enumerate(sources):
                if left[si] <= 0 or scored[si] >= MAX_GRIDS:
                    continue
                for tl, tr, bl, module, inferred, layout in hyps[si]:
                    if tier != ("one" if layout is not None else "two" if inferred else "three"):
                        continue
                    grids = list(self._grids(gray, found, tl, tr, bl, module, inferred, layout))
                    options += grids
                    owner += [si] * len(grids)
                    scored[si] += 1
                    if scored[si] >= MAX_GRIDS:
                        break
            if not options:
                continue
            scores = yield from self._rank_steps(gray, options)
            ranked = sorted(range(len(options)), key=lambda i: (-scores[i], i))
            for i in ranked:
                if scores[i] < scores[ranked[0]] - SCORE_SPREAD:
                    break  # far below this tier's best: the fixed patterns are not there
                tl, tr, bl, module, version, inferred = options[i]
                if left[owner[i]] <= 0:
                    continue
                left[owner[i]] -= 1
                grid = yield from self._refine_steps(gray, (tl, tr, bl), module, version,
                                                     inferred, scores[i])
                # sampled again on the frame read, so the text always comes from it
                gray = yield UNITS["read"] + self.grid_units(1, version)
                _s, dark = self.score_many(gray, [grid], version, modules=True)
                text = self._read(self.render(self.repaint(dark[0], version)))
                if text is not None:
                    return text
        return None

    def _grids(self, gray: Any, found: list[tuple[Any, float, float]], tl: Any, tr: Any,
               bl: Any, module: float, inferred: tuple[int, ...], layout: int | None
               ) -> Iterator[tuple[Any, Any, Any, float, int, tuple[int, ...]]]:
        """(corners, module, version, inferred) of each plausible size, unscored."""
        h, w = gray.shape[:2]
        if layout is None:
            options = [(tl, tr, bl, v) for v in self._versions(tl, tr, bl, module)]
        else:  # one finder: which corner it is, the turn and the size are all guesses
            options = [(*self._one_finder_grid(found[0], layout, v), v)
                       for v in range(1, MAX_VERSION + 1)]
            inferred = tuple(k for k in range(3) if k != layout // 4)
        for p0, p1, p2, version in options:
            far = p1 + p2 - p0
            if layout is not None and not all(
                    -3 * module < x < w + 3 * module and -3 * module < y < h + 3 * module
                    for x, y in (p0, p1, p2, far)):
                continue  # the symbol would leave the frame
            yield p0, p1, p2, module, version, inferred

    def _rank_steps(self, gray: Any, options: list[tuple[Any, Any, Any, float, int, tuple[int, ...]]]
                    ) -> Generator[int, Any, list[float]]:
        """The score of each of ``options`` (from _grids), in batches of one size and at
        most GRID_BATCH grids, a step each."""
        by_version: dict[int, list[int]] = {}
        for i, opt in enumerate(options):
            by_version.setdefault(opt[4], []).append(i)
        scores = [0.0] * len(options)
        for version, all_idx in by_version.items():
            for k in range(0, len(all_idx), GRID_BATCH):
                idx = all_idx[k:k + GRID_BATCH]
                gray = yield self.grid_units(len(idx), version)
                batch, _dark = self.score_many(
                    gray, [(options[i][0], options[i][1], options[i][2], None) for i in idx],
                    version)
                for i, sc in zip(idx, batch):
                    scores[i] = float(sc)
        return scores

    @staticmethod
    def grid_units(grids: int, version: int) -> int:
        """Units of work of scoring ``grids`` grids of a size (grid_batch.GridScorer)."""
        return GridScorer.units(grids, version) * UNITS["grids"]

    def score_many(self, gray: Any, grids: list[tuple[Any, Any, Any, Any]], version: int,
                   *, modules: bool = False) -> tuple[Any, Any]:
        """(scores, dark modules or None) of many grids of one size (see grid_batch)."""
        return self._scorer.score_many(gray, grids, version, modules=modules)

    def score(self, dark: Any, version: int) -> float:
        """Share of the fixed modules (timing, alignment, finders) that read as the standard
        draws them."""
        np = self._np
        n = dark.shape[0]
        want = np.arange(8, n - 8) % 2 == 0
        hits = int((dark[6, 8:n - 8] == want).sum() + (dark[8:n - 8, 6] == want).sum())
        total = 2 * len(want)
        if version in _ALIGN:
            a = _ALIGN[version]
            hits += int((dark[a - 2:a + 3, a - 2:a + 3] == self._align).sum())
            total += 25
        for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
            hits += int((dark[r:r + 7, c:c + 7] == self._finder).sum())
            total += 49
        return hits / total

    def _refine_steps(self, gray: Any, corners: tuple[Any, Any, Any], module: float,
                      version: int, inferred: tuple[int, ...], score: float
                      ) -> Generator[int, Any, tuple[Any, Any, Any, Any]]:
        """The grid (tl, tr, bl, br or None, as score_many takes it) after a small search:
        each finder centre that was inferred (not seen) moved by up to a module, then the
        fourth corner (perspective: the affine grid drifts there) likewise, each kept where
        the fixed patterns score best (the first best, in _JITTER's order). ``score`` is the
        grid's own (from ranking). Each search is one batch (score_many) and a step."""
        np = self._np
        pts = list(corners)
        best: tuple[Any, Any, Any, Any] = (pts[0], pts[1], pts[2], None)
        best_score = score
        if best_score >= GOOD_SCORE:
            return best  # already on the modules (the usual case with three finders seen)
        for k in inferred:
            cands = []
            for dx, dy in _JITTER:
                moved = list(pts)
                moved[k] = pts[k] + module * np.array([dx, dy])
                cands.append((moved[0], moved[1], moved[2], None))
            gray = yield self.grid_units(len(cands), version)
            scores, _dark = self.score_many(gray, cands, version)
            j = int(np.argmax(scores))
            if scores[j] > best_score:
                best, best_score, pts[k] = cands[j], scores[j], cands[j][k]
        if version in _ALIGN:
            corner = pts[1] + pts[2] - pts[0]
            cands = [(pts[0], pts[1], pts[2], corner + module * np.array([dx, dy]))
                     for dx, dy in _JITTER]
            gray = yield self.grid_units(len(cands), version)
            scores, _dark = self.score_many(gray, cands, version)
            j = int(np.argmax(scores))
            if scores[j] > best_score:
                best = cands[j]
        return best

    def finders(self, gray: Any, block: int = 31, c: int = 8) -> list[tuple[Any, float, float]]:
        """Finder-pattern candidates: (centre xy, module size px, angle of its sides in
        radians, modulo a quarter turn), largest first."""
        cv2, np = self._cv2, self._np
        block = max(3, int(block) | 1)
        if self.noisy(gray):  # heavy sensor noise binarises into tens of thousands of specks,
            gray = cv2.GaussianBlur(gray, (5, 5), 0)  # and the contour search cost grows with them
        binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                       cv2.THRESH_BINARY_INV, block, c)
        contours, hier = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
        if hier is None or len(contours) > MAX_CONTOURS:
            return []
        h = hier[0]
        hole = h[:, 2]
        core = np.where(hole >= 0, h[hole, 2], -1)  # a contour two levels down, if any
        cands = []
        for i in np.flatnonzero(core >= 0):  # a few dozen of the thousands of contours
            outer = contours[i]
            core_i = core[i]
            a_out, a_core = cv2.contourArea(outer), cv2.contourArea(contours[core_i])
            if a_out < 64 or a_core <= 0 or not 2.5 < a_out / a_core < 14:
                continue
            m_out, m_core = cv2.moments(outer), cv2.moments(contours[core_i])
            if m_out["m00"] <= 0 or m_core["m00"] <= 0:
                continue
            p_out = np.array([m_out["m10"], m_out["m01"]]) / m_out["m00"]
            p_core = np.array([m_core["m10"], m_core["m01"]]) / m_core["m00"]
            if np.linalg.norm(p_out - p_core) > 0.25 * math.sqrt(a_out):
                continue
            _x, _y, w, hh = cv2.boundingRect(outer)
            if not 0.5 < w / hh < 2:
                continue
            angle = math.radians(cv2.minAreaRect(outer)[2])
            cands.append((p_core, math.sqrt(a_out) / 7, angle))
        kept: list[tuple[Any, float, float]] = []
        for p, m, angle in sorted(cands, key=lambda t: -t[1]):
            if all(np.linalg.norm(p - q) > 2 * mq for q, mq, _a in kept):
                kept.append((p, m, angle))
        return kept

    def noisy(self, gray: Any) -> bool:
        """Heavy pixel noise: the mean step between horizontal neighbours (every 4th row)
        over 12 grey levels (a clean frame: 2-7, edges are rare; the noise class: 34-59, or
        17-30 at half resolution)."""
        cv2 = self._cv2
        rows = gray[::4]
        return float(cv2.mean(cv2.absdiff(rows[:, 1:], rows[:, :-1]))[0]) > 12

    def hypotheses(self, found: list[tuple[Any, float, float]]
                   ) -> Iterator[tuple[Any, Any, Any, float, tuple[int, ...], int | None]]:
        """(top-left, top-right, bottom-left finder centres, module px, which of the three
        were inferred, sizes to try): every triple of similar finders, then the six
        completions of every similar pair, then the largest finder alone (which corner it
        is and the symbol's quarter turn: twelve layouts, every size; see _one_finder_grid)."""
        np = self._np

        def cross(u: Any, v: Any) -> float:
            return float(u[0] * v[1] - u[1] * v[0])

        def perp(v: Any, s: int) -> Any:  # +1: a quarter turn clockwise on screen (y down)
            return np.array([-v[1], v[0]]) * s

        similar = [(i, j) for i in range(len(found)) for j in range(i + 1, len(found))
                   if 0.6 < found[i][1] / found[j][1] < 1.6]
        for i, j in similar:
            for k in range(j + 1, len(found)):
                if (i, k) not in similar or (j, k) not in similar:
                    continue
                pts = [found[i][0], found[j][0], found[k][0]]
                side = [np.linalg.norm(pts[(t + 1) % 3] - pts[(t + 2) % 3]) for t in range(3)]
                t = int(np.argmax(side))  # the top-left finder faces the longest side
                tl, p, q = pts[t], pts[(t + 1) % 3], pts[(t + 2) % 3]
                if cross(p - tl, q - tl) < 0:
                    p, q = q, p
                yield tl, p, q, (found[i][1] + found[j][1] + found[k][1]) / 3, (), None
        for i, j in similar:
            m = (found[i][1] + found[j][1]) / 2
            for a, b in ((found[i][0], found[j][0]), (found[j][0], found[i][0])):
                yield a, b, a + perp(b - a, 1), m, (2,), None     # a top-left, b top-right
                yield a, a + perp(b - a, -1), b, m, (1,), None    # a top-left, b bottom-left
                mid = (a + b) / 2
                for s in (1, -1):                          # a top-right, b bottom-left
                    tl = mid + perp(b - a, s) / 2
                    if cross(a - tl, b - tl) > 0:
                        yield tl, a, b, m, (0,), None

        if found:
            p, m, _angle = found[0]
            for layout in range(12):
                yield p, p, p, m, (), layout

    def _one_finder_grid(self, finder: tuple[Any, float, float], layout: int,
                         version: int) -> tuple[Any, Any, Any]:
        """The three finder centres if ``finder`` is the top-left / top-right / bottom-left
        one (layout // 4) with the symbol turned by layout % 4 quarter turns."""
        np = self._np
        p, m, angle = finder
        role, turn = divmod(layout, 4)
        a = angle + turn * math.pi / 2
        right = np.array([math.cos(a), math.sin(a)])
        down = np.array([-right[1], right[0]])
        span = (17 + 4 * version - 7) * m
        tl = (p, p - span * right, p - span * down)[role]
        return tl, tl + span * right, tl + span * down

    def _versions(self, tl: Any, tr: Any, bl: Any, module: float) -> list[int]:
        np = self._np
        span = (np.linalg.norm(tr - tl) + np.linalg.norm(bl - tl)) / 2  # finder centre to centre
        est = (span / module + 7 - 17) / 4
        near = {round(est) + k for k in (0, -1, 1)}
        return sorted((v for v in near if 1 <= v <= MAX_VERSION), key=lambda v: abs(v - est))

    def sample(self, gray: Any, tl: Any, tr: Any, bl: Any, n: int, br: Any = None) -> Any:
        """n x n module centres (float), finder centres at module (3, 3), (n-4, 3), (3, n-4);
        with ``br`` (where module (n-4, n-4) is) a perspective grid, else an affine one."""
        cv2, np = self._cv2, self._np
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        if br is None:
            warp = cv2.getAffineTransform(np.float32([[3, 3], [n - 4, 3], [3, n - 4]]),
                                          np.float32([tl, tr, bl]))
            out = cv2.warpAffine(gray, warp, (n, n), flags=flags, borderMode=cv2.BORDER_REPLICATE)
        else:
            warp = cv2.getPerspectiveTransform(
                np.float32([[3, 3], [n - 4, 3], [3, n - 4], [n - 4, n - 4]]),
                np.float32([tl, tr, bl, br]))
            out = cv2.warpPerspective(gray, warp, (n, n), flags=flags,
                                      borderMode=cv2.BORDER_REPLICATE)
        return out.astype(np.float32)

    def modules(self, values: Any, *, ratio: float = 0.4, margin: float = 8.0) -> Any:
        """Dark modules: darker than the local light level by ``ratio`` of the local range
        (3x3 modules, smoothed); a range under ``margin`` grey levels (clipped) reads light."""
        cv2, np = self._cv2, self._np
        k = np.ones((3, 3), np.uint8)
        light = cv2.GaussianBlur(cv2.dilate(values, k), (3, 3), 0)
        dark = cv2.GaussianBlur(cv2.erode(values, k), (3, 3), 0)
        spread = light - dark
        return ((light - values) > ratio * spread) & (spread >= margin)

    def repaint(self, dark: Any, version: int) -> Any:
        """The function patterns as the standard draws them."""
        np = self._np
        n = dark.shape[0]
        d = dark.copy()
        finder = np.ones((7, 7), bool)
        finder[1:6, 1:6] = False
        finder[2:5, 2:5] = True
        for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
            d[r:r + 7, c:c + 7] = finder
        d[7, :8] = d[:8, 7] = False               # separators
        d[7, n - 8:] = d[:8, n - 8] = False
        d[n - 8, :8] = d[n - 8:, 7] = False
        timing = np.arange(8, n - 8) % 2 == 0
        d[6, 8:n - 8] = timing
        d[8:n - 8, 6] = timing
        if version in _ALIGN:
            a = _ALIGN[version]
            d[a - 2:a + 3, a - 2:a + 3] = self._align
        d[n - 8, 8] = True                        # the dark module
        return d

    def render(self, dark: Any, px: int = 4) -> Any:
        """A clean image of the grid with its quiet zone, ``px`` pixels per module."""
        cv2, np = self._cv2, self._np
        img = np.pad(np.where(dark, 0, 255).astype(np.uint8), 4, constant_values=255)
        return cv2.resize(img, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)
