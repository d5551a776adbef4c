"""QR decode benchmark: single decoders versus the drivers' decoder chain.

Generates a seeded distortion corpus of 640x480 camera-like frames (a phone showing a QR
payment-style code on a cluttered counter) and reports, per decoder and for the chain, the
success rate per distortion class and the median / p95 milliseconds per frame with and
without a code. Runs single-threaded on one core (CPU affinity pinned where the OS allows).

    python bench/decode.py                 # default corpus (~2 minutes on one slow core)
    python bench/decode.py --per-class 20  # quicker
    python bench/decode.py --save DIR      # also write the frames as PNG for inspection

Classes: clean, blur, noise, dim, rotation, perspective, motion, glare, inverted, small,
moire, none (no code at all). Success = the decoded text equals the encoded payload exactly.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import segno

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.decoding import DecoderChain, build_decoder  # noqa: E402
from drivers.decoding.backends import BACKENDS  # noqa: E402

W, H = 640, 480
CLASSES = ["clean", "blur", "noise", "dim", "rotation", "perspective", "motion", "glare",
           "inverted", "small", "moire", "none"]


@dataclass
class Frame:
    cls: str
    image: np.ndarray  # BGR uint8, H x W x 3, as a camera delivers it
    payload: str | None


# --------------------------------------------------------------------------- payloads

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def payload(rng: np.random.Generator) -> str:
    """Payment-code-shaped strings of the three sizes met at a counter (QR versions 1, 4, 6)."""
    kind = rng.integers(3)
    if kind == 0:  # 18-digit wallet barcode number
        return str(rng.choice(["25", "26", "27", "28", "13", "14"])) + "".join(
            str(d) for d in rng.integers(0, 10, 16))
    if kind == 1:
        return "https://qr.alipay.com/bax0" + "".join(
            rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), 20))
    return ("HTTPS://QR.ALIPAYPLUS.COM/APLUS/" + "".join(rng.choice(list(_ALNUM), 32))
            + "?VER=1&MID=" + str(rng.integers(100000, 999999)))


def qr_modules(data: str) -> np.ndarray:
    """The QR symbol as a 0/255 array, one pixel per module, with a 4-module quiet zone."""
    buf = io.BytesIO()
    segno.make_qr(data, error="m").save(buf, kind="png", scale=1, border=4)
    return cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


# --------------------------------------------------------------------------- scene

def background(rng: np.random.Generator) -> np.ndarray:
    """A counter: uneven lighting, clutter (boxes, lines, printed text), a little texture."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    base = rng.uniform(90, 170)
    gx, gy = rng.uniform(-0.12, 0.12, 2)
    img = base + gx * (xx - W / 2) + gy * (yy - H / 2)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(3, 9)):
        x0, y0 = int(rng.integers(0, W)), int(rng.integers(0, H))
        x1, y1 = x0 + int(rng.integers(20, 200)), y0 + int(rng.integers(20, 150))
        cv2.rectangle(img, (x0, y0), (x1, y1), int(rng.integers(0, 256)), -1)
    for _ in range(rng.integers(2, 6)):
        p0 = (int(rng.integers(0, W)), int(rng.integers(0, H)))
        p1 = (int(rng.integers(0, W)), int(rng.integers(0, H)))
        cv2.line(img, p0, p1, int(rng.integers(0, 256)), int(rng.integers(1, 4)))
    for _ in range(rng.integers(1, 4)):
        text = "".join(rng.choice(list("TOTAL 0123456789 $ RECEIPT"), 12))
        cv2.putText(img, text, (int(rng.integers(0, W - 200)), int(rng.integers(20, H))),
                    cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.4, 1.0), int(rng.integers(0, 80)), 1)
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    return img


def card(modules: np.ndarray, module_px: float, *, inverted: bool) -> np.ndarray:
    """The phone: a dark bezel around a bright screen that shows the code."""
    side = int(round(modules.shape[0] * module_px))
    code = cv2.resize(modules, (side, side), interpolation=cv2.INTER_AREA)
    if inverted:  # dark-mode wallet screen: light modules on a dark background
        code = 255 - code
        code = (code.astype(np.float32) * 0.85 + 20).astype(np.uint8)
    else:
        code = (code.astype(np.float32) * 0.92 + 12).astype(np.uint8)
    margin = max(6, side // 6)
    screen_val = 20 if inverted else 240
    screen = np.full((side + 2 * margin, side + margin), screen_val, np.uint8)
    screen[margin:margin + side, margin // 2:margin // 2 + side] = code
    bezel = max(4, side // 12)
    phone = np.full((screen.shape[0] + 2 * bezel, screen.shape[1] + 2 * bezel), 25, np.uint8)
    phone[bezel:-bezel, bezel:-bezel] = screen
    return phone


def place(scene: np.ndarray, patch: np.ndarray, rng: np.random.Generator, *,
          angle_deg: float, tilt: float) -> tuple[float, float, float]:
    """Warp ``patch`` into ``scene`` rotated by ``angle_deg`` with perspective ``tilt`` (0..1)."""
    ph, pw = patch.shape
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    dst = src - np.float32([pw / 2, ph / 2])
    dst = dst + rng.uniform(-tilt, tilt, (4, 2)).astype(np.float32) * np.float32([pw, ph])
    a = np.deg2rad(angle_deg)
    rot = np.float32([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    dst = dst @ rot.T
    lo = -dst.min(0)
    hi = np.float32([W, H]) - dst.max(0)
    if np.any(hi < lo):  # patch larger than the frame: centre it
        centre = np.float32([W / 2, H / 2])
    else:
        centre = np.float32([rng.uniform(lo[0], hi[0]), rng.uniform(lo[1], hi[1])])
    m = cv2.getPerspectiveTransform(src, (dst + centre).astype(np.float32))
    cv2.warpPerspective(patch, m, (W, H), dst=scene, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    return float(centre[0]), float(centre[1]), float(max(pw, ph))


# --------------------------------------------------------------------------- classes

def make_frame(cls: str, rng: np.random.Generator) -> Frame:
    scene = background(rng)
    data = None if cls == "none" else payload(rng)
    module_px = rng.uniform(3.0, 5.5)
    angle = rng.uniform(-8, 8)
    tilt = 0.02
    if cls == "small":
        module_px = rng.uniform(1.4, 2.2)
    elif cls == "rotation":
        angle = rng.uniform(0, 360)
    elif cls == "perspective":
        tilt = rng.uniform(0.10, 0.18)
    elif cls in ("blur", "motion", "glare"):
        module_px = rng.uniform(4.0, 6.0)
    if data is None:
        if rng.random() < 0.5:  # a phone with a blank or text screen, no code
            blank = np.full((41, 41), 255, np.uint8)
            place(scene, card(blank, module_px, inverted=False), rng, angle_deg=angle, tilt=tilt)
    else:
        mods = qr_modules(data)
        patch = card(mods, module_px, inverted=(cls == "inverted"))
        if cls == "moire":
            patch = _moire(patch, rng)
        where = place(scene, patch, rng, angle_deg=angle, tilt=tilt)
        if cls == "glare":
            scene = _glare(scene, rng, where)
    img = scene.astype(np.float32)
    if cls == "blur":
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(1.6, 2.6))
    elif cls == "motion":
        img = _motion(img, rng)
    elif cls == "dim":
        img = img * rng.uniform(0.05, 0.12) + rng.normal(0, rng.uniform(1.5, 3.0), img.shape)
    elif cls == "noise":
        img = img + rng.normal(0, rng.uniform(30, 55), img.shape)
    img = img + rng.normal(0, 2.0, img.shape)  # sensor noise on every frame
    gray = np.clip(img, 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    return Frame(cls, bgr, data)


def _moire(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone screen filmed by a camera: a sub-pixel grid beating against the sensor grid."""
    h, w = patch.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period = rng.uniform(2.2, 3.4)
    a = rng.uniform(0, np.pi)
    grid = 0.5 + 0.5 * np.cos(2 * np.pi * (xx * np.cos(a) + yy * np.sin(a)) / period)
    depth = rng.uniform(0.35, 0.6)
    out = patch.astype(np.float32) * (1 - depth * grid)
    scale = rng.uniform(0.8, 0.95)  # resample: the grid aliases into low-frequency bands
    small = cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(out, 0, 255).astype(np.uint8)


def _glare(scene: np.ndarray, rng: np.random.Generator,
           where: tuple[float, float, float]) -> np.ndarray:
    """A specular highlight from a ceiling light across the phone's screen."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    x, y, size = where
    cx = x + rng.uniform(-0.25, 0.25) * size
    cy = y + rng.uniform(-0.25, 0.25) * size
    r = rng.uniform(0.08, 0.16) * size
    strength = rng.uniform(120, 220)
    blob = strength * np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
    return np.clip(scene.astype(np.float32) + blob, 0, 255).astype(np.uint8)


def _motion(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    length = int(rng.integers(4, 10))
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1)
    k = cv2.warpAffine(k, rot, (length, length))
    k /= k.sum()
    return cv2.filter2D(img, -1, k)


def corpus(per_class: int, seed: int) -> list[Frame]:
    rng = np.random.default_rng(seed)
    return [make_frame(cls, rng) for cls in CLASSES for _ in range(per_class)]


# --------------------------------------------------------------------------- measuring

def run_decoder(decode, frames: list[Frame]) -> tuple[dict[str, float], list[float], list[float]]:
    ok: dict[str, int] = {c: 0 for c in CLASSES}
    n: dict[str, int] = {c: 0 for c in CLASSES}
    with_code: list[float] = []
    without: list[float] = []
    for f in frames:
        t0 = time.perf_counter()
        text = decode(f.image)
        ms = (time.perf_counter() - t0) * 1000
        n[f.cls] += 1
        if f.payload is None:
            ok[f.cls] += text is None
            without.append(ms)
        else:
            ok[f.cls] += text == f.payload
            with_code.append(ms)
    return {c: ok[c] / n[c] for c in CLASSES if n[c]}, with_code, without


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--decoders", default="zxing,pyzbar,opencv,chain")
    ap.add_argument("--save", metavar="DIR", help="write the corpus frames as PNG")
    args = ap.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)

    frames = corpus(args.per_class, args.seed)
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(frames):
            cv2.imwrite(str(out / f"{i:04d}_{f.cls}.png"), f.image)

    rows = []
    for name in args.decoders.split(","):
        if name == "chain":
            chain = DecoderChain()
            decode = chain.decode
        else:
            if not BACKENDS[name].is_usable():
                print(f"skip {name}: not usable here", file=sys.stderr)
                continue
            dec = build_decoder(name)
            decode = lambda img, dec=dec: dec.decode(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))  # noqa: E731
        decode(frames[0].image)  # warm-up (library initialisation)
        rates, wc, wo = run_decoder(decode, frames)
        code_classes = [c for c in CLASSES if c != "none"]
        overall = statistics.mean(rates[c] for c in code_classes)
        rows.append((name, rates, overall, wc, wo))

    print(f"corpus: {len(frames)} frames, {args.per_class} per class, {W}x{H}, seed {args.seed}, "
          f"one core")
    hdr = f"{'class':<12}" + "".join(f"{r[0]:>9}" for r in rows)
    print(hdr)
    print("-" * len(hdr))
    for c in CLASSES:
        label = c if c != "none" else "none (TN)"
        print(f"{label:<12}" + "".join(f"{r[1][c] * 100:8.1f}%" for r in rows))
    print("-" * len(hdr))
    print(f"{'with code':<12}" + "".join(f"{r[2] * 100:8.1f}%" for r in rows))
    for label, idx, q in [("med ms code", 3, 50), ("p95 ms code", 3, 95),
                          ("med ms none", 4, 50), ("p95 ms none", 4, 95)]:
        print(f"{label:<12}" + "".join(f"{pct(r[idx], q):9.2f}" for r in rows))
    print(f"{'med ms all':<12}" + "".join(f"{pct(r[3] + r[4], 50):9.2f}" for r in rows))
    print(f"{'p95 ms all':<12}" + "".join(f"{pct(r[3] + r[4], 95):9.2f}" for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
