"""Scoring many candidate module grids at once, for the symbol repair (repair.py).

Why: the repair's grid search tries dozens of grids per symbol (every hypothesis and size,
then up to 72 small moves of the inferred corners for each grid read). Sampled and judged
one at a time, each took a handful of OpenCV calls whose overhead was most of the repair's
cost; here a batch is one cv2.remap and four filter calls, with the grids laid side by side
in one wide image (OpenCV filters run through a wide image many times faster than a tall
one). The numbers are the same as SymbolRepair.sample + modules + score grid by grid
(tests/drivers/test_live_decoding.py checks it).
"""
from __future__ import annotations

from math import ceil
from typing import Any

# centre index of the bottom-right alignment pattern, QR versions 2-6 (version 1 has none)
ALIGN = {2: 18, 3: 22, 4: 26, 5: 30, 6: 34}
JUDGE_RATIO, JUDGE_MARGIN = 0.4, 8.0  # modules(): a dark module's depth, the least local range
GRID_MODULES = 14000  # modules sampled and judged per unit of work (see repair.UNITS)


class GridScorer:
    """score_many(): the share of right fixed modules (and the dark modules) of many grids.
    ``finder`` and ``align`` are the 7x7 and 5x5 patterns as the standard draws them."""

    def __init__(self, finder: Any, align: Any) -> None:
        import cv2
        import numpy as np

        self._cv2, self._np = cv2, np
        self.finder, self.align = finder, align
        self._cache: dict[tuple[str, int], Any] = {}

    @staticmethod
    def units(grids: int, version: int) -> int:
        """Units of work of scoring ``grids`` grids of a size (their modules sampled and
        judged: the cost grows with the module count)."""
        return ceil(grids * (17 + 4 * version) ** 2 / GRID_MODULES)

    def score_many(self, gray: Any, grids: list[tuple[Any, Any, Any, Any]], version: int,
                   *, modules: bool = False) -> tuple[Any, Any]:
        """score() of many grids of one size at once, and with ``modules`` their dark
        modules (modules() of each, (B, n, n)), else None. Each grid is (tl, tr, bl, br or
        None) as in sample(). One remap and four filter calls for the whole batch instead
        of a handful of calls per grid: the grid search tries dozens of grids and their
        per-call overhead was most of the repair's cost."""
        rows, cols, want = self.fixed(version)
        light, dark, values = self.levels(self.sample_many(gray, grids, 17 + 4 * version))
        # judged (as modules() does) only where score() looks, unless all are wanted
        lf, df, vf = light[rows, :, cols], dark[rows, :, cols], values[rows, :, cols]
        spread = lf - df
        hits = ((lf - vf) > JUDGE_RATIO * spread) & (spread >= JUDGE_MARGIN)  # (fixed, B)
        scores = (hits == want[:, None]).mean(axis=0)
        if not modules:
            return scores, None
        spread = light - dark
        judged = ((light - values) > JUDGE_RATIO * spread) & (spread >= JUDGE_MARGIN)
        return scores, judged.transpose(1, 0, 2)

    def fixed(self, version: int) -> tuple[Any, Any, Any]:
        """Where the fixed modules score() checks are, and what they should read (cached)."""
        key = ("fixed", version)
        if key not in self._cache:
            np = self._np
            n = 17 + 4 * version
            mask = np.zeros((n, n), bool)
            want = np.zeros((n, n), bool)
            mask[6, 8:n - 8] = mask[8:n - 8, 6] = True
            want[6, 8:n - 8] = want[8:n - 8, 6] = np.arange(8, n - 8) % 2 == 0
            if version in ALIGN:
                a = ALIGN[version]
                mask[a - 2:a + 3, a - 2:a + 3] = True
                want[a - 2:a + 3, a - 2:a + 3] = self.align
            for r, c in ((0, 0), (0, n - 7), (n - 7, 0)):
                mask[r:r + 7, c:c + 7] = True
                want[r:r + 7, c:c + 7] = self.finder
            rows, cols = np.nonzero(mask)
            self._cache[key] = (rows, cols, want[rows, cols])
        return self._cache[key]

    def sample_many(self, gray: Any, grids: list[tuple[Any, Any, Any, Any]], n: int) -> Any:
        """sample() of many grids of one size, side by side: (n, B, n) uint8 (row, grid,
        column; the image's own levels), by one cv2.remap over the stacked coordinates."""
        cv2, np = self._cv2, self._np
        key = ("grid", n)
        if key not in self._cache:
            r, c = np.mgrid[0:n, 0:n].astype(np.float32)
            self._cache[key] = np.stack([c.ravel(), r.ravel(), np.ones(n * n, np.float32)])
        grid = self._cache[key]
        b = len(grids)
        corners = np.array([(tl, tr, bl) for tl, tr, bl, _br in grids], np.float64)  # (B, 3, 2)
        mats = np.zeros((b, 3, 3))
        # affine: module (c, r) -> tl + (c - 3) u + (r - 3) v, u and v one module along each side
        u = (corners[:, 1] - corners[:, 0]) / (n - 7)
        v = (corners[:, 2] - corners[:, 0]) / (n - 7)
        mats[:, :2, 0], mats[:, :2, 1] = u, v
        mats[:, :2, 2] = corners[:, 0] - 3 * u - 3 * v
        mats[:, 2, 2] = 1
        src = np.float32([[3, 3], [n - 4, 3], [3, n - 4], [n - 4, n - 4]])
        perspective = False
        for i, (tl, tr, bl, br) in enumerate(grids):
            if br is not None:
                mats[i] = cv2.getPerspectiveTransform(src, np.float32([tl, tr, bl, br]))
                perspective = True
        if perspective:
            xyw = mats @ grid.astype(np.float64)  # (B, 3, n*n)
            xy = (xyw[:, :2] / xyw[:, 2:]).astype(np.float32)
        else:
            xy = mats[:, :2].astype(np.float32) @ grid  # (B, 2, n*n)
        # rows of the output hold row r of every grid in turn: a wide image, which the
        # filters below run through many times faster than a tall one
        xy = np.ascontiguousarray(xy.reshape(b, 2, n, n).transpose(1, 2, 0, 3)).reshape(2, n, b * n)
        out = cv2.remap(gray, xy[0], xy[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(n, b, n)

    def levels(self, values: Any) -> tuple[Any, Any, Any]:
        """The local light and dark levels of modules() for a (n, B, n) batch, the same
        numbers, and the values as floats: the grids side by side with a spacer column
        either side of each (a copy of its edge column for the dilation, its reflection for
        the blur), so no grid sees its neighbour's columns and the borders behave as in one
        grid alone. The morphology runs on the uint8 levels; the blur (GaussianBlur's 3x3
        kernel: 1/4, 1/2, 1/4) gives floats, as in modules()."""
        cv2, np = self._cv2, self._np
        n, b, _ = values.shape
        k = np.ones((3, 3), np.uint8)
        g = np.float32([0.25, 0.5, 0.25])

        def cols(x: Any, edge: bool) -> Any:  # np.pad costs more than the filters here
            left, right = (x[..., :1], x[..., -1:]) if edge else (x[..., 1:2], x[..., -2:-1])
            return np.concatenate([left, x, right], axis=2).reshape(n, b * (n + 2))

        def unstack(x: Any) -> Any:
            return x.reshape(n, b, n + 2)[..., 1:-1]

        def blur(x: Any) -> Any:
            return unstack(cv2.sepFilter2D(cols(unstack(x), False), cv2.CV_32F, g, g))

        edge = cols(values, True)
        return blur(cv2.dilate(edge, k)), blur(cv2.erode(edge, k)), values.astype(np.float32)
