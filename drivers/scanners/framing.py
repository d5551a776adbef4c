"""Turning a serial scanner's byte stream into scanned strings.

Scanners end each code with a configurable suffix (CR, LF, CRLF, TAB) or none at all (then a
pause between characters ends the code); some wrap it in STX ... ETX. Line noise, power-on
garbage, a wrong baud rate or a scanner in the wrong mode produce junk: every such frame is
dropped with a reason (never the content) and the stream resynchronises on the next
terminator. The framer is pure: bytes and timestamps in, results out, so it can be fuzzed.
"""
from __future__ import annotations

from dataclasses import dataclass

STX, ETX = 0x02, 0x03
SUFFIXES = ("CR", "LF", "CRLF", "TAB", "NONE")
# Inter-character timeout: silence that ends a code (suffix NONE) or abandons a partial one.
# Scanners on a busy USB hub, RS-232 converters and some Bluetooth bases pause inside a code
# for up to ~200 ms; a code cut there would be read as two scans, one of them a wrong code.
INTER_CHAR_TIMEOUT_S = 0.3


@dataclass(frozen=True)
class FrameResult:
    """Either ``code`` (a clean scanned string) or ``reason`` (why a frame was dropped)."""

    code: str | None = None
    reason: str | None = None


def clean_text(raw: bytes, max_length: int) -> FrameResult:
    """Validate one frame's payload: UTF-8, nothing unprintable, not too long.

    Unprintable is what str.isprintable() refuses: control and format characters, surrogates,
    private-use and unassigned code points (U+FBC3 came through once: line noise that decodes
    as UTF-8), and separators other than the ASCII space."""
    if len(raw) > max_length:
        return FrameResult(reason=f"frame of {len(raw)} bytes exceeds max_length {max_length}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return FrameResult(reason=f"invalid UTF-8 in a {len(raw)}-byte frame "
                                  "(wrong baud rate or scanner encoding?)")
    text = text.strip(" ")
    unprintable = sum(1 for ch in text if not ch.isprintable())
    if unprintable:
        return FrameResult(reason=f"{unprintable} unprintable or control character(s) in a {len(raw)}-byte frame")
    if not text:
        return FrameResult(reason="blank frame")
    return FrameResult(code=text)


class Framer:
    """Incremental framer. ``feed(data, now)`` returns the frames completed by ``data``;
    ``poll(now)`` completes a frame after ``gap_s`` of silence (suffix NONE) or discards a
    stale partial frame (other suffixes: a code must end with its suffix). ``gap_s`` is the
    inter-character timeout: a pause shorter than it inside a code is not an end."""

    def __init__(self, suffix: str = "CR", *, max_length: int = 256, gap_s: float = INTER_CHAR_TIMEOUT_S):
        suffix = suffix.upper()
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIXES)}, not {suffix!r}")
        self.suffix = suffix
        self.max_length = max_length
        self.gap_s = gap_s
        if suffix == "TAB":
            self._terminators = frozenset(b"\t")
        elif suffix == "NONE":
            self._terminators = frozenset()
        else:  # CR, LF and CRLF: accept either byte, so a CRLF scanner set to CR still works
            self._terminators = frozenset(b"\r\n")
        self._buf = bytearray()
        self._in_stx = False
        self._overflow = False
        self._last_byte_t: float | None = None

    def feed(self, data: bytes, now: float) -> list[FrameResult]:
        out: list[FrameResult] = []
        if data and self._buf and self._last_byte_t is not None \
                and now - self._last_byte_t >= self.gap_s:
            out.extend(self.poll(now))
        for b in data:
            if self._in_stx:
                if b == ETX:
                    out.append(self._finish())
                    self._in_stx = False
                elif b == STX:  # a new frame began before this one ended
                    out.append(FrameResult(reason="STX inside an STX frame: partial frame"))
                    self._reset()
                    self._in_stx = True
                else:
                    self._append(b)
                continue
            if b == STX:
                if self._buf or self._overflow:
                    out.append(FrameResult(reason=f"{len(self._buf)} junk byte(s) before STX"))
                self._reset()
                self._in_stx = True
            elif b == ETX:
                if self._buf or self._overflow:
                    out.append(FrameResult(reason="ETX without STX"))
                self._reset()
            elif b in self._terminators:
                if self._buf or self._overflow:
                    out.append(self._finish())
            else:
                self._append(b)
        if data:
            self._last_byte_t = now
        return out

    def poll(self, now: float) -> list[FrameResult]:
        """Call when no data arrived for a while (the serial read timed out)."""
        if not (self._buf or self._overflow) or self._last_byte_t is None:
            return []
        if now - self._last_byte_t < self.gap_s:
            return []
        if self.suffix == "NONE" and not self._in_stx:
            return [self._finish()]
        n = len(self._buf)
        self._reset()
        self._in_stx = False
        return [FrameResult(reason=f"incomplete frame of {n} byte(s) timed out "
                                   f"(scanner suffix is not {self.suffix}?)")]

    def _append(self, b: int) -> None:
        if len(self._buf) >= self.max_length:
            self._overflow = True  # keep counting nothing; drop the frame at its end
            return
        self._buf.append(b)

    def _finish(self) -> FrameResult:
        if self._overflow:
            result = FrameResult(reason=f"overlong frame (more than {self.max_length} bytes)")
        else:
            result = clean_text(bytes(self._buf), self.max_length)
        self._reset()
        return result

    def _reset(self) -> None:
        self._buf.clear()
        self._overflow = False
