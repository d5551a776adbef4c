"""QR decode benchmark: single decoders versus the drivers' decoder chain.

Generates a seeded distortion corpus of 640x480 camera-like frames (a phone showing a QR
payment-style code on a cluttered counter) and reports, per decoder and for the chain, the
success rate per distortion class and the median / p95 milliseconds per frame with and
without a code. Runs single-threaded on one core (CPU affinity pinned where the OS allows).

    python bench/decode.py                 # default corpus (~2 minutes on one slow core)
    python bench/decode.py --per-class 20  # quicker
    python bench/decode.py --save DIR      # also write the frames as PNG for inspection

Columns: each single decoder; ``still`` = the chain on a still image (every fallback in one
call, 25 ms budget); ``live 1st`` / ``live <=15`` = the chain as the camera runs it (a fixed
amount of work per frame, fallbacks spread over frames), read on the first frame / within 15 frames (half a
second at 30 fps). The ``x zx`` rows divide by zxing alone on the same frames in this run.

Classes: clean, blur, noise, dim, rotation, perspective, motion, glare, inverted, small,
moire, none (no code at all), and the harder hardglare, screen, darkmotion (see HARDER). Success = the decoded text equals the encoded payload exactly.
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

from drivers.decoding import DecoderChain, build_decoder
from drivers.decoding.backends import BACKENDS
from drivers.decoding.chain import LIVE_UNITS

W, H = 640, 480
EXISTING = ["clean", "blur", "noise", "dim", "rotation", "perspective", "motion", "glare",
            "inverted", "small", "moire", "none"]
# Harder, counter-realistic conditions (added after the first corpus; generated after it, so
# the frames of EXISTING stay the same for a given seed):
#   hardglare  a specular highlight over about a quarter of the code with a saturated core,
#              one to three saturated patches, and a finger over one edge of the code
#   screen     a photo of a phone screen at an angle: perspective, moire, a veil of reflected
#              light and a little defocus together
#   darkmotion low light and motion blur together (a dim shop, a hand still moving)
HARDER = ["hardglare", "screen", "darkmotion"]
CLASSES = EXISTING[:-1] + HARDER + ["none"]


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
    side = round(modules.shape[0] * module_px)
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

def make_frame(cls: str, rng: np.random.Generator, records: list[dict] | None = None) -> Frame:
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
    elif cls in ("blur", "motion", "glare", "hardglare", "darkmotion"):
        module_px = rng.uniform(4.0, 6.0)
    elif cls == "screen":
        tilt = rng.uniform(0.08, 0.15)
        angle = rng.uniform(-20, 20)
    if data is None:
        if rng.random() < 0.5:  # a phone with a blank or text screen, no code
            blank = np.full((41, 41), 255, np.uint8)
            place(scene, card(blank, module_px, inverted=False), rng, angle_deg=angle, tilt=tilt)
    else:
        mods = qr_modules(data)
        patch = card(mods, module_px, inverted=(cls == "inverted"))
        if cls in ("moire", "screen"):
            patch = _moire(patch, rng)
        if cls == "screen":
            patch = _screen_photo(patch, rng)
        if cls == "hardglare":
            rec = None
            if records is not None:  # bench/glare_budget.py: what the glare did, per frame
                rec = {"modules": mods, "payload": data}
                records.append(rec)
            patch = _hard_glare(patch, code_box(mods.shape[0], module_px), rng, rec)
        where = place(scene, patch, rng, angle_deg=angle, tilt=tilt)
        if cls == "glare":
            scene = _glare(scene, rng, where)
    img = scene.astype(np.float32)
    if cls == "blur":
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(1.6, 2.6))
    elif cls == "motion":
        img = _motion(img, rng)
    elif cls == "darkmotion":
        img = _motion(img, rng, (4, 8))
        img = img * rng.uniform(0.10, 0.20) + rng.normal(0, rng.uniform(1.5, 3.0), img.shape)
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


def code_box(n_modules: int, module_px: float) -> tuple[float, float, float]:
    """Where card() puts the symbol inside the phone patch: (x0, y0, side) of the symbol
    itself, without its 4-module quiet zone."""
    side = round(n_modules * module_px)
    margin = max(6, side // 6)
    bezel = max(4, side // 12)
    quiet = side * 4 / n_modules
    return bezel + margin // 2 + quiet, bezel + margin + quiet, side - 2 * quiet


def _hard_glare(patch: np.ndarray, box: tuple[float, float, float], rng: np.random.Generator,
                record: dict | None = None) -> np.ndarray:
    """A ceiling light's specular reflection on the screen glass over about a quarter of the
    code (its core clipped to white), small saturated patches, and a finger over one edge.

    ``record`` (bench/glare_budget.py): receives the layers (the added light field, the
    saturated and the finger masks) so the damage per module can be counted; the frame is
    the same with or without it."""
    h, w = patch.shape
    qx0, qy0, q = box
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = patch.astype(np.float32)
    # specular blob: an ellipse whose half-strength area is ~25% of the symbol's
    cx, cy = qx0 + rng.uniform(0.2, 0.8) * q, qy0 + rng.uniform(0.2, 0.8) * q
    area = 0.25 * q * q
    aspect = rng.uniform(0.6, 1.6)
    rx = np.sqrt(area / np.pi * aspect)
    ry = area / (np.pi * rx)
    a = rng.uniform(0, np.pi)
    dx, dy = xx - cx, yy - cy
    u, v = dx * np.cos(a) + dy * np.sin(a), -dx * np.sin(a) + dy * np.cos(a)
    d2 = (u / rx) ** 2 + (v / ry) ** 2
    peak = rng.uniform(170, 260)
    field = peak * np.exp(-d2 * np.log(2))  # half strength on the ellipse's edge
    out += field
    saturated = np.zeros((h, w), bool)
    # saturated patches (smaller reflections), each about 1-3% of the symbol
    for _ in range(int(rng.integers(1, 4))):
        px, py = qx0 + rng.uniform(0, 1) * q, qy0 + rng.uniform(0, 1) * q
        r = np.sqrt(rng.uniform(0.01, 0.03) * q * q / np.pi)
        saturated |= (xx - px) ** 2 + (yy - py) ** 2 < r * r
    out[saturated] = 255
    # a finger over one edge, between the finder patterns: a shaded skin-grey ellipse coming
    # from outside, 3-8% of the symbol deep (one to three modules)
    edge = int(rng.integers(4))
    depth = rng.uniform(0.03, 0.08) * q
    along = rng.uniform(0.4, 0.6) * q
    width = rng.uniform(0.1, 0.18) * q
    if edge in (0, 1):  # left / right
        fx = qx0 - width + depth if edge == 0 else qx0 + q + width - depth
        fy, ax, ay = qy0 + along, width, width * 1.8
    else:  # top / bottom
        fy = qy0 - width + depth if edge == 2 else qy0 + q + width - depth
        fx, ax, ay = qx0 + along, width * 1.8, width
    fd = ((xx - fx) / ax) ** 2 + ((yy - fy) / ay) ** 2
    skin = rng.uniform(120, 190) * (1.05 - 0.25 * np.clip(fd, 0, 1))
    out = np.where(fd < 1, skin, out)
    if record is not None:
        record.update(field=field, saturated=saturated, finger=fd < 1, box=box)
    return np.clip(out, 0, 255).astype(np.uint8)


def _screen_photo(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone screen photographed: reflected room light lifts the blacks (a veil), the
    lens is slightly out of focus at that distance (moire and angle come from the caller)."""
    veil = rng.uniform(30, 70)
    out = patch.astype(np.float32) * (1 - veil / 255) + veil
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.6, 1.1))
    return np.clip(out, 0, 255).astype(np.uint8)


def _motion(img: np.ndarray, rng: np.random.Generator, lengths: tuple[int, int] = (4, 10)) -> np.ndarray:
    length = int(rng.integers(*lengths))
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1)
    k = cv2.warpAffine(k, rot, (length, length))
    k /= k.sum()
    return cv2.filter2D(img, -1, k)


def corpus(per_class: int, seed: int, classes: list[str] | None = None,
           records: list[dict] | None = None) -> list[Frame]:
    """EXISTING first, then HARDER, each from one seeded stream (adding a class at the end
    never changes the frames of the classes before it). ``records`` receives the glare
    layers of each hardglare frame (see _hard_glare)."""
    rng = np.random.default_rng(seed)
    order = EXISTING + [c for c in HARDER]
    frames = [make_frame(cls, rng, records) for cls in order for _ in range(per_class)]
    wanted = set(classes or CLASSES)
    return [f for f in frames if f.cls in wanted]


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


def run_live(chain: DecoderChain, frames: list[Frame], hold: int, floor=None, floor_ms: dict | None = None,
             units: list[int] | None = None
             ) -> tuple[dict[str, float], dict[str, float], list[float], list[float], list[int]]:
    """The chain as the camera runs it: each corpus image is shown for up to ``hold``
    consecutive frames (a phone held up to a 30 fps camera; the same pixels each time, so no
    help from fresh sensor noise or a steadier hand) until it is read; an image without a
    code is shown ``hold`` times (an idle camera). Returns the rate read on the first frame
    and within ``hold`` frames per class, the ms of every call with / without a code, and
    the frame number each read code was read on. With ``floor`` (zxing alone), it is timed
    on the same image just before each call and its ms go to ``floor_ms`` ("code"/"none"),
    so a load change on a shared machine hits the chain and its floor alike. ``units``
    receives each call's units of fallback work (chain.last_units: counted, not timed)."""
    first: dict[str, int] = {c: 0 for c in CLASSES}
    within: dict[str, int] = {c: 0 for c in CLASSES}
    n: dict[str, int] = {c: 0 for c in CLASSES}
    with_code: list[float] = []
    without: list[float] = []
    read_on: list[int] = []
    for f in frames:
        n[f.cls] += 1
        for k in range(1, hold + 1):
            if floor is not None:
                t0 = time.perf_counter()
                floor(f.image)
                floor_ms["none" if f.payload is None else "code"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            text = chain.decode(f.image)
            ms = (time.perf_counter() - t0) * 1000
            (without if f.payload is None else with_code).append(ms)
            if units is not None:
                units.append(chain.last_units)
            if f.payload is None:
                if text is not None:
                    break  # a false read: counted as a failure below
                continue
            if text == f.payload:
                first[f.cls] += k == 1
                within[f.cls] += 1
                read_on.append(k)
                break
            if text is not None:
                break  # a wrong text is never retried into a right one
        else:
            if f.payload is None:
                first[f.cls] += 1
                within[f.cls] += 1
    rate = {c: first[c] / n[c] for c in CLASSES if n[c]}
    rate_within = {c: within[c] / n[c] for c in CLASSES if n[c]}
    return rate, rate_within, with_code, without, read_on


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def code_rate(rates: dict[str, float], classes: list[str] | None = None) -> float:
    """Mean success over the classes with a code (the classes weigh the same)."""
    picked = [rates[c] for c in (classes or CLASSES) if c != "none" and c in rates]
    return statistics.mean(picked) if picked else float("nan")


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)


def ratios(per_class: int = 8, seed: int = 20240611, hold: int = 15) -> dict[str, float]:
    """The machine-independent figures for the regression check (bench/ratios.py): the live
    chain's milliseconds over zxing alone's, measured on the same frames in the same run,
    and the live chain's success rate."""
    frames = corpus(per_class, seed, EXISTING)
    zx = build_decoder("zxing")
    decode = lambda img: zx.decode(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    decode(frames[0].image)
    chain = DecoderChain(live=True)
    chain.decode(frames[0].image)
    floor: dict[str, list[float]] = {"code": [], "none": []}
    _, within, lc, ln, _ = run_live(chain, frames, hold, decode, floor)
    zc, zn = floor["code"], floor["none"]
    return {"decode_live_none_median_x_zxing": pct(ln, 50) / pct(zn, 50),
            "decode_live_all_p95_x_zxing_p95": pct(lc + ln, 95) / pct(zc + zn, 95),
            "decode_live_kept": code_rate(within)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--decoders", default="zxing,pyzbar,opencv,still,live")
    ap.add_argument("--hold", type=int, default=15,
                    help="live: frames an image is shown for (15 = half a second at 30 fps)")
    ap.add_argument("--save", metavar="DIR", help="write the corpus frames as PNG")
    args = ap.parse_args(argv)
    pin_one_core()

    frames = corpus(args.per_class, args.seed)
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(frames):
            cv2.imwrite(str(out / f"{i:04d}_{f.cls}.png"), f.image)

    rows = []
    extra = ""
    live_floor: dict[str, list[float]] = {}
    for name in args.decoders.split(","):
        if name == "live":
            chain = DecoderChain(live=True)
            chain.decode(frames[0].image)
            zx = build_decoder("zxing")
            floor: dict[str, list[float]] = {"code": [], "none": []}
            units: list[int] = []
            rates, within, wc, wo, read_on = run_live(
                chain, frames, args.hold, lambda img, zx=zx: zx.decode(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)), floor,
                units)
            live_floor = floor
            rows.append(("live 1st", rates, code_rate(rates), wc, wo))
            rows.append((f"live <={args.hold}", within, code_rate(within), wc, wo))
            late = [k for k in read_on if k > 1]
            extra = (f"live: {len(late)} of {len(read_on)} codes read after the first frame "
                     f"(median frame {statistics.median(late) if late else 0:.0f}, "
                     f"max {max(late) if late else 0}); fallback work per frame (units, "
                     f"budget {LIVE_UNITS}): none on {units.count(0)} of {len(units)} frames, "
                     f"over it on {sum(u > LIVE_UNITS for u in units)}, max {max(units)}")
            continue
        if name == "still":
            chain = DecoderChain()
            decode = chain.decode
        else:
            if not BACKENDS[name].is_usable():
                print(f"skip {name}: not usable here", file=sys.stderr)
                continue
            dec = build_decoder(name)
            decode = lambda img, dec=dec: dec.decode(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
        decode(frames[0].image)  # warm-up (library initialisation)
        rates, wc, wo = run_decoder(decode, frames)
        rows.append((name, rates, code_rate(rates), wc, wo))

    print(f"corpus: {len(frames)} frames, {args.per_class} per class, {W}x{H}, seed {args.seed}, "
          f"one core")
    hdr = f"{'class':<12}" + "".join(f"{r[0]:>10}" for r in rows)
    print(hdr)
    print("-" * len(hdr))
    for c in CLASSES:
        label = c if c != "none" else "none (TN)"
        print(f"{label:<12}" + "".join(f"{r[1][c] * 100:9.1f}%" for r in rows))
    print("-" * len(hdr))
    print(f"{'existing 11':<12}" + "".join(f"{code_rate(r[1], EXISTING) * 100:9.1f}%" for r in rows))
    print(f"{'all 14':<12}" + "".join(f"{r[2] * 100:9.1f}%" for r in rows))
    for label, idx, q in [("med ms code", 3, 50), ("p95 ms code", 3, 95),
                          ("med ms none", 4, 50), ("p95 ms none", 4, 95)]:
        print(f"{label:<12}" + "".join(f"{pct(r[idx], q):10.2f}" for r in rows))
    print(f"{'med ms all':<12}" + "".join(f"{pct(r[3] + r[4], 50):10.2f}" for r in rows))
    print(f"{'p95 ms all':<12}" + "".join(f"{pct(r[3] + r[4], 95):10.2f}" for r in rows))
    zx = next((r for r in rows if r[0] == "zxing"), None)
    if zx is not None:  # the floor: zxing alone on the same frames, in this run
        z_none, z_all = pct(zx[4], 50), pct(zx[3] + zx[4], 50)
        print(f"{'none x zx':<12}" + "".join(f"{pct(r[4], 50) / z_none:10.2f}" for r in rows)
              + "   median ms without a code / zxing's")
        print(f"{'p95 x zx med':<12}" + "".join(f"{pct(r[3] + r[4], 95) / z_all:10.2f}" for r in rows)
              + "   p95 ms all frames / zxing's median")
    if live_floor:  # zxing timed on the same image just before each live call
        fc, fn = live_floor["code"], live_floor["none"]
        lv = next(r for r in rows if r[0] == "live 1st")
        print(f"live vs zxing interleaved (same image, same moment): median ms without a code "
              f"{pct(lv[4], 50):.2f} vs {pct(fn, 50):.2f} (x{pct(lv[4], 50) / pct(fn, 50):.2f}); "
              f"p95 ms all calls {pct(lv[3] + lv[4], 95):.2f} vs {pct(fc + fn, 95):.2f} "
              f"(x{pct(lv[3] + lv[4], 95) / pct(fc + fn, 95):.2f})")
    if extra:
        print(extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
