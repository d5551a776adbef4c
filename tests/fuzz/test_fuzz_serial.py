"""Serial scanner byte streams, generated: noise, codes with any suffix, STX/ETX frames, splits
at any byte, pauses. The framer never raises, only ever delivers clean text within its limit,
delivers every well-formed code exactly once and in order, and what it delivers is either a
payment code or refused with a BAD_PAYMENT_CODE input error (nothing else)."""
from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.scanners.framing import ETX, STX, Framer
from terminal.codes import PaymentCodeError, parse_payment_code
from terminal.demo_codes import code_for

from .conftest import EXAMPLES

SUFFIX_BYTES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}
GAP_S = 0.05


@st.composite
def chunked(draw, data: bytes):
    """`data` split at random points, each piece with a time step shorter than the gap."""
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=8))) if len(data) > 1 else []
    pieces, last = [], 0
    for cut in [*cuts, len(data)]:
        pieces.append(data[last:cut])
        last = cut
    return [(p, draw(st.floats(0.0, GAP_S * 0.8))) for p in pieces if p]


def _run(framer: Framer, chunks) -> list:
    now, out = 100.0, []
    for data, step in chunks:
        now += step
        out.extend(framer.feed(data, now))
    out.extend(framer.poll(now + GAP_S * 3))
    return out


def _check_sane(results, max_length: int) -> None:
    for r in results:
        assert (r.code is None) != (r.reason is None)
        if r.code is not None:
            assert 0 < len(r.code.encode()) <= max_length
            assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in r.code)
            try:
                parse_payment_code(r.code).drop()
            except PaymentCodeError as exc:
                assert exc.code == "BAD_PAYMENT_CODE" and exc.exit_code == 2


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(suffix=st.sampled_from(["CR", "LF", "CRLF", "TAB", "NONE"]), data=st.data(),
       noise=st.lists(st.binary(max_size=300) | st.sampled_from([bytes([STX]), bytes([ETX]), b"\r\n", b"\xff\xfe"]),
                      max_size=8))
def test_noise_never_breaks_the_framer(tally, suffix, data, noise):
    framer = Framer(suffix, max_length=64, gap_s=GAP_S)
    results = _run(framer, data.draw(chunked(b"".join(noise))))
    _check_sane(results, 64)
    tally.add("serial byte streams", "noise")
    tally.add("serial frames", "code", sum(r.code is not None for r in results))
    tally.add("serial frames", "dropped", sum(r.code is None for r in results))


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(suffix=st.sampled_from(["CR", "LF", "CRLF", "TAB"]), data=st.data(),
       suffixes=st.lists(st.sampled_from(["0000", "0051", "0091", "1234"]), min_size=1, max_size=5),
       stx=st.booleans())
def test_well_formed_codes_arrive_exactly_once_in_order(tally, suffix, data, suffixes, stx):
    codes = [code_for(s) for s in suffixes]
    end = SUFFIX_BYTES[suffix]
    frames = [(bytes([STX]) + c.encode() + bytes([ETX])) if stx else (c.encode() + end) for c in codes]
    results = _run(Framer(suffix, gap_s=GAP_S), data.draw(chunked(b"".join(frames))))
    assert [r.code for r in results if r.code is not None] == codes
    assert [r.reason for r in results if r.code is None] == []
    _check_sane(results, 256)
    tally.add("serial byte streams", "well-formed")
