"""Is a hard-glare frame decodable at all? The damage per frame against the QR's error correction.

For every frame of the ``hardglare`` class of bench/decode.py's corpus (same seed, same
frames), this counts what the generator destroyed, module by module, from the layers it
recorded (the added light field, the saturated patches, the finger), and sets it against
what the symbol's Reed-Solomon blocks can correct:

- a dark module is *clipped* when the light field leaves it less than ``--margin`` grey
  levels below its light neighbours (both clip at 255; 10 levels = 5x the corpus's sensor
  noise), or when a saturated patch covers it: it reads as light, a bit error. A light
  module under glare stays light (no error).
- a module under the *finger* carries no information: it reads as whatever the finger's
  grey gives. Counted both ways (all dark / all light) and the kinder of the two is kept,
  which is what a decoder trying two thresholds could reach at best.
- the erroneous modules are mapped to their codewords (ISO/IEC 18004 placement and block
  interleaving, from segno's tables; segno raises the EC level when it costs no size, so
  the corpus holds 1-Q, 4-Q and 5-M symbols); a block is lost with more codeword errors than
  half its EC codewords (zxing has no erasure decoding, so clipped modules are errors,
  not erasures). The format information must keep 3 or fewer bit errors in one of its copies.
- *finder hit*: a module of a finder pattern destroyed (the detector may still find it).

A frame is *recoverable in principle* when every block and one format copy survive. An
oracle check renders the symbol with exactly those errors, clean, and asks zxing to read
it (once as is, once with the finder patterns repaired): it agrees with the count.

Then the decoders run on the real frames (zxing alone, the chain on a still image, the
live chain within ``--hold`` frames) and the failures are split by recoverability.

    python bench/glare_budget.py                  # 100 frames (the corpus's), ~1 minute
    python bench/glare_budget.py --save DIR       # also write the frames the live chain missed
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np
import segno
import segno.consts as qc
import segno.encoder as qe
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import decode as corpus_mod

from drivers.decoding import DecoderChain

DARK, LIGHT = 12.0, 255 * 0.92 + 12  # the module levels card() draws


def codeword_map(version: int) -> np.ndarray:
    """n x n: the interleaved codeword index of each data / EC module, -1 elsewhere."""
    n = qe.calc_matrix_size(version)
    m = qe.make_matrix(n, n)
    qe.add_finder_patterns(m, n, n)
    qe.add_alignment_patterns(m, n, n)
    out = np.full((n, n), -1, int)
    bit = 0
    for right in range(n - 1, 0, -2):  # the placement walk of segno.encoder.add_codewords
        if right <= 6:
            right -= 1
        for vertical in range(n):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (n - 1 - vertical) if upwards else vertical
                if m[i][j] == 0x2:
                    out[i, j] = bit // 8
                    m[i][j] = 0x0
                    bit += 1
    return out


def codeword_blocks(version: int, error: int) -> tuple[list[int], list[int]]:
    """Block of each interleaved codeword, and each block's EC codeword count."""
    sizes = [(b.num_data, b.num_total - b.num_data)
             for b in qc.ECC[version][error] for _ in range(b.num_blocks)]
    order = [b for i in range(max(d for d, _ in sizes)) for b, (d, _) in enumerate(sizes) if i < d]
    order += [b for i in range(sizes[0][1]) for b in range(len(sizes))]
    return order, [ec for _, ec in sizes]


def format_cells(n: int) -> list[list[tuple[int, int]]]:
    first = [(8, c) for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [(r, 8) for r in (7, 5, 4, 3, 2, 1, 0)]
    second = [(r, 8) for r in range(n - 1, n - 8, -1)] + [(8, c) for c in range(n - 8, n)]
    return [first, second]


def finder_cells(n: int) -> np.ndarray:
    f = np.zeros((n, n), bool)
    f[:7, :7] = f[:7, -7:] = f[-7:, :7] = True
    return f


def module_damage(rec: dict, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per symbol module: truth (dark), clipped (destroyed by light), under the finger."""
    mods = rec["modules"]
    truth = mods[4:-4, 4:-4] < 128
    n = truth.shape[0]
    x0, y0, q = rec["box"]
    m = q / n
    field, sat, finger = rec["field"], rec["saturated"], rec["finger"]
    clipped = np.zeros((n, n), bool)
    under = np.zeros((n, n), bool)
    for r in range(n):
        for c in range(n):  # the module's central half (its edges blend with the neighbours)
            ya, yb = int(y0 + (r + 0.25) * m), int(np.ceil(y0 + (r + 0.75) * m))
            xa, xb = int(x0 + (c + 0.25) * m), int(np.ceil(x0 + (c + 0.75) * m))
            if finger[ya:yb, xa:xb].mean() >= 0.5:
                under[r, c] = True
                continue
            g = float(field[ya:yb, xa:xb].mean())
            contrast = min(255.0, LIGHT + g) - min(255.0, DARK + g)
            clipped[r, c] = sat[ya:yb, xa:xb].mean() >= 0.5 or contrast < margin
    return truth, clipped, under


def assess(rec: dict, margin: float) -> dict:
    qr = segno.make_qr(rec["payload"], error="m")
    version, error = qr.version, qc.ERROR_MAPPING[qr.error.upper()]
    truth, clipped, under = module_damage(rec, margin)
    n = truth.shape[0]
    cw = codeword_map(version)
    block_of, ec = codeword_blocks(version, error)
    best = None
    for finger_reads_dark in (True, False):
        wrong = (clipped & truth) | (under & (truth != finger_reads_dark))
        errs = [0] * len(ec)
        for k in set(cw[wrong & (cw >= 0)].tolist()):
            if k < len(block_of):  # past the last codeword: the remainder bits
                errs[block_of[k]] += 1
        fmt = min(sum(wrong[r, c] for r, c in cells) for cells in format_cells(n))
        worst = max(e / (t // 2) for e, t in zip(errs, ec))
        cand = {"wrong": wrong, "errs": errs, "fmt": fmt, "worst": worst,
                "ok": all(e <= t // 2 for e, t in zip(errs, ec)) and fmt <= 3}
        if best is None or (cand["ok"], -cand["worst"]) > (best["ok"], -best["worst"]):
            best = cand
    assert best is not None
    destroyed = clipped | under
    best.update(version=version, level=qr.error.upper(), n=n, ec=ec, truth=truth,
                destroyed_share=float(destroyed.mean()),
                dark_clipped_share=float((clipped & truth).sum() / truth.sum()),
                finder_hit=bool((destroyed & finder_cells(n)).any()))
    best["oracle"] = oracle(best, rec["payload"], repair_finders=False)
    best["oracle_finders"] = oracle(best, rec["payload"], repair_finders=True)
    return best


def oracle(a: dict, payload: str, *, repair_finders: bool) -> bool:
    """zxing on a clean rendering of the symbol carrying exactly the counted errors."""
    read = a["truth"] ^ a["wrong"]
    if repair_finders:
        f = finder_cells(a["n"])
        read = np.where(f, a["truth"], read)
    img = np.where(read, 0, 255).astype(np.uint8)
    img = np.pad(img, 4, constant_values=255)
    img = cv2.resize(img, None, fx=6, fy=6, interpolation=cv2.INTER_NEAREST)
    return any(r.text == payload for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--margin", type=float, default=10.0,
                    help="grey levels of contrast below which a glared dark module is lost")
    ap.add_argument("--hold", type=int, default=15)
    ap.add_argument("--save", metavar="DIR", help="write the frames the live chain missed (PNG)")
    ap.add_argument("--verbose", action="store_true", help="one line per frame")
    args = ap.parse_args(argv)
    corpus_mod.pin_one_core()
    records: list[dict] = []
    frames = corpus_mod.corpus(args.per_class, args.seed, ["hardglare"], records)
    assert len(frames) == len(records)
    zx = zxingcpp
    still, live = DecoderChain(), DecoderChain(live=True)
    rows = []
    for i, (f, rec) in enumerate(zip(frames, records)):
        a = assess(rec, args.margin)
        gray = cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY)
        a["zxing"] = any(r.text == f.payload for r in zx.read_barcodes(gray, formats=zx.BarcodeFormat.QRCode))
        a["still"] = still.decode(f.image) == f.payload
        a["live"] = False
        for _ in range(args.hold):
            text = live.decode(f.image)
            if text is not None:
                a["live"] = text == f.payload
                break
        rows.append(a)
        if args.save and not a["live"]:
            out = Path(args.save)
            out.mkdir(parents=True, exist_ok=True)
            tag = "recoverable" if a["ok"] else "lost"
            cv2.imwrite(str(out / f"hardglare_{i:03d}_{tag}.png"), f.image)
        if args.verbose:
            print(f"{i:3d} v{a['version']}-{a['level']} destroyed {a['destroyed_share']:5.1%} "
                  f"dark clipped {a['dark_clipped_share']:5.1%} block errs {a['errs']} of "
                  f"{[t // 2 for t in a['ec']]} fmt {a['fmt']} finder {'HIT' if a['finder_hit'] else '-  '} "
                  f"{'OK  ' if a['ok'] else 'LOST'} oracle {a['oracle']:d}/{a['oracle_finders']:d} "
                  f"zx {a['zxing']:d} still {a['still']:d} live {a['live']:d}")
    report(rows, args)
    return 0


def report(rows: list[dict], args: argparse.Namespace) -> None:
    n = len(rows)
    ok = [r for r in rows if r["ok"]]
    lost = [r for r in rows if not r["ok"]]
    print(f"hardglare: {n} frames (seed {args.seed}), damage margin {args.margin:g} grey levels")
    print(f"modules destroyed (clipped or under the finger): median {statistics.median(r['destroyed_share'] for r in rows):.1%}, "
          f"max {max(r['destroyed_share'] for r in rows):.1%}; dark modules clipped: median "
          f"{statistics.median(r['dark_clipped_share'] for r in rows):.1%}")
    print(f"worst block's codeword errors / what it corrects: median "
          f"{statistics.median(r['worst'] for r in rows):.2f}")
    print(f"recoverable in principle (every RS block and a format copy within capacity): "
          f"{len(ok)} of {n} ({len(ok) / n:.0%}); lost: {len(lost)}")
    agree = sum(r["oracle_finders"] == r["ok"] for r in rows)
    print(f"oracle (clean rendering with those errors, finders repaired) agrees on {agree} of {n}; "
          f"as damaged incl. finders reads {sum(r['oracle'] for r in rows)} of {n}")
    print(f"finder pattern hit: {sum(r['finder_hit'] for r in rows)} of {n} "
          f"({sum(r['finder_hit'] for r in ok)} of the recoverable)")
    print(f"{'decoder':<10}{'all':>10}{'recoverable':>14}{'lost':>8}")
    for name in ("zxing", "still", "live"):
        print(f"{name:<10}{sum(r[name] for r in rows) / n:10.0%}"
              f"{sum(r[name] for r in ok) / max(1, len(ok)):14.0%}"
              f"{sum(r[name] for r in lost):5d}/{len(lost)}")


if __name__ == "__main__":
    raise SystemExit(main())
