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
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

# centre index of the bottom-right alignment pattern, QR versions 2-6 (version 1 has none;
# from 7 on the version information must be read too: those sizes are not repaired)
_ALIGN = {2: 18, 3: 22, 4: 26, 5: 30, 6: 34}
MAX_VERSION = 6
MAX_GRIDS = 40  # hypotheses scored per call (a cluttered frame has many candidates)
_JITTER = [(dx, dy) for dx in (-1, -0.5, 0, 0.5, 1) for dy in (-1, -0.5, 0, 0.5, 1)
           if dx or dy]  # in modules
GOOD_SCORE = 0.95  # share of fixed modules right above which a grid is not searched further
MAX_CONTOURS = 4000  # a frame of sensor noise yields tens of thousands: not a code, give up


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

    # ------------------------------------------------------------------ public

    def decode(self, gray: Any, *, scale: float = 1.0, max_tries: int | None = None) -> str | None:
        """Text of a repaired symbol in ``gray``, or None. ``scale`` < 1 searches the finders
        on a downscaled copy (cheaper; sampling stays at full resolution). ``max_tries``
        overrides the bound on grids handed to zxing for this call."""
        cv2 = self._cv2
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale,
                                                     interpolation=cv2.INTER_AREA)
        found = [(p / scale, m / scale, a) for p, m, a in self.finders(small)]
        self.last_finders = len(found)
        # by tier (three finders seen, two, one), every hypothesis and size, ranked by how
        # well its fixed patterns (timing, alignment, finders) come out: the right grid
        # scores high, a wrong one near chance. Most codes read on the first grid.
        hyps = list(self.hypotheses(found))
        tries = self.max_tries if max_tries is None else max_tries
        scored = 0
        for tier in ("three", "two", "one"):
            grids: list[tuple[float, Any, Any, Any, float, int, tuple[int, ...]]] = []
            for tl, tr, bl, module, inferred, layout in hyps:
                if tier != ("one" if layout is not None else "two" if inferred else "three"):
                    continue
                grids.extend(self._grids(gray, found, tl, tr, bl, module, inferred, layout))
                scored += 1
                if scored >= MAX_GRIDS:
                    break
            grids.sort(key=lambda g: -g[0])
            for _score, tl, tr, bl, module, version, inferred in grids[:tries]:
                tries -= 1
                text = self._read(self.render(self.repaint(
                    self.refine(gray, (tl, tr, bl), module, version, inferred), version)))
                if text is not None:
                    return text
            if tries <= 0 or scored >= MAX_GRIDS:
                break
        return None

    def _grids(self, gray: Any, found: list[tuple[Any, float, float]], tl: Any, tr: Any,
               bl: Any, module: float, inferred: tuple[int, ...], layout: int | None
               ) -> Iterator[tuple[float, Any, Any, Any, float, int, tuple[int, ...]]]:
        """(score, corners, module, version, inferred) of each plausible size."""
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
            dark = self.modules(self.sample(gray, p0, p1, p2, 17 + 4 * version))
            yield self.score(dark, version), p0, p1, p2, module, version, inferred

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

    def refine(self, gray: Any, corners: tuple[Any, Any, Any], module: float, version: int,
               inferred: tuple[int, ...]) -> Any:
        """The module grid after a small search: each finder centre that was inferred (not
        seen) moved by up to a module, then the fourth corner (perspective: the
        affine grid drifts there) likewise, each kept where the fixed patterns score best."""
        np = self._np
        n = 17 + 4 * version
        pts = list(corners)
        best = self.modules(self.sample(gray, pts[0], pts[1], pts[2], n))
        best_score = self.score(best, version)
        if best_score >= GOOD_SCORE:
            return best  # already on the modules (the usual case with three finders seen)
        for k in inferred:
            base = pts[k]
            found = base
            for dx, dy in _JITTER:
                pts[k] = base + module * np.array([dx, dy])
                dark = self.modules(self.sample(gray, pts[0], pts[1], pts[2], n))
                s = self.score(dark, version)
                if s > best_score:
                    best, best_score, found = dark, s, pts[k]
            pts[k] = found
        if version in _ALIGN:
            corner = pts[1] + pts[2] - pts[0]
            for dx, dy in _JITTER:
                dark = self.modules(self.sample(gray, pts[0], pts[1], pts[2], n,
                                                br=corner + module * np.array([dx, dy])))
                s = self.score(dark, version)
                if s > best_score:
                    best, best_score = dark, s
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
        cands = []
        for i, outer in enumerate(contours):
            hole = h[i][2]
            core = h[hole][2] if hole >= 0 else -1
            if core < 0:
                continue
            a_out, a_core = cv2.contourArea(outer), cv2.contourArea(contours[core])
            if a_out < 64 or a_core <= 0 or not 2.5 < a_out / a_core < 14:
                continue
            m_out, m_core = cv2.moments(outer), cv2.moments(contours[core])
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
