import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanners.framing import Framer

CODE = "281012345678901234"


def codes(results):
    return [r.code for r in results if r.code is not None]


def reasons(results):
    return [r.reason for r in results if r.code is None]


@pytest.mark.parametrize("suffix,term", [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n"),
                                         ("TAB", b"\t")])
def test_suffixes(suffix, term):
    f = Framer(suffix)
    out = f.feed(CODE.encode() + term + b"130000000000000001" + term, 0.0)
    assert codes(out) == [CODE, "130000000000000001"]
    assert reasons(out) == []


def test_cr_configured_but_scanner_sends_crlf():
    f = Framer("CR")
    assert codes(f.feed(CODE.encode() + b"\r\n", 0.0)) == [CODE]


def test_frame_split_across_reads():
    f = Framer("CR")
    assert f.feed(CODE[:5].encode(), 0.0) == []
    assert codes(f.feed(CODE[5:].encode() + b"\r", 0.01)) == [CODE]


def test_suffix_none_ends_on_silence():
    f = Framer("NONE", gap_s=0.05)
    assert f.feed(CODE.encode(), 1.0) == []
    assert f.poll(1.02) == []
    assert codes(f.poll(1.06)) == [CODE]


def test_suffix_none_new_burst_after_gap_flushes_previous():
    f = Framer("NONE", gap_s=0.05)
    f.feed(b"1234567890", 1.0)
    out = f.feed(b"abcdefgh", 2.0)
    assert codes(out) == ["1234567890"]
    assert codes(f.poll(3.0)) == ["abcdefgh"]


def test_stale_partial_frame_is_dropped_with_suffix():
    f = Framer("CR", gap_s=0.05)
    f.feed(b"12345", 1.0)
    out = f.poll(2.0)
    assert codes(out) == [] and "incomplete frame" in reasons(out)[0]
    assert codes(f.feed(CODE.encode() + b"\r", 2.1)) == [CODE]


def test_stx_etx_framing_and_junk_before_stx():
    f = Framer("NONE")
    out = f.feed(b"\x00\xffjunk\x02" + CODE.encode() + b"\x03", 0.0)
    assert codes(out) == [CODE]
    assert "junk" in reasons(out)[0]


def test_stx_etx_with_suffix():
    f = Framer("CR")
    assert codes(f.feed(b"\x02" + CODE.encode() + b"\x03\r", 0.0)) == [CODE]


def test_overlong_line_dropped_then_resync():
    f = Framer("CR", max_length=32)
    out = f.feed(b"9" * 100 + b"\r" + CODE.encode() + b"\r", 0.0)
    assert codes(out) == [CODE]
    assert "overlong" in reasons(out)[0]


def test_invalid_utf8_dropped():
    f = Framer("CR")
    out = f.feed(b"\xc3\x28abc\r" + CODE.encode() + b"\r", 0.0)
    assert codes(out) == [CODE]
    assert "UTF-8" in reasons(out)[0]


def test_control_characters_drop_the_frame_and_reason_has_no_content():
    f = Framer("CR")
    out = f.feed(b"2810\x0712345678901234\r", 0.0)
    assert codes(out) == []
    assert "control character" in reasons(out)[0]
    assert "2810" not in reasons(out)[0]


def test_unicode_code_passes():
    f = Framer("CR")
    assert codes(f.feed("付款码-123456".encode() + b"\r", 0.0)) == ["付款码-123456"]


def test_bad_suffix_rejected():
    with pytest.raises(ValueError):
        Framer("ETX")


@pytest.mark.parametrize("junk", ["\ufbc3", "\u2028", "\u00a0", "\ue000", "\u200b"],
                         ids=["unassigned", "line-separator", "no-break-space", "private-use", "zero-width-space"])
def test_unprintable_characters_line_noise_decodes_to_are_dropped(junk):
    """Hypothesis found U+FBC3 (unassigned) passing as part of a code."""
    out = Framer("CR").feed(f"28{junk}1234\r".encode(), 0.0)
    assert codes(out) == [] and "unprintable" in reasons(out)[0]


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.binary(max_size=64), max_size=20),
       suffix=st.sampled_from(["CR", "LF", "CRLF", "TAB", "NONE"]))
def test_fuzz_arbitrary_bytes_never_crash_and_emit_only_clean_codes(chunks, suffix):
    f = Framer(suffix, max_length=40)
    t = 0.0
    results = []
    for chunk in chunks:
        t += 0.01
        results += f.feed(chunk, t)
    results += f.poll(t + 10)
    for r in results:
        assert (r.code is None) != (r.reason is None)
        if r.code is not None:
            assert 0 < len(r.code.encode()) <= 40
            assert r.code == r.code.strip(" ")
            assert all(ch.isprintable() for ch in r.code)


_code_text = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E),
                     min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(_code_text, min_size=1, max_size=8),
       suffix=st.sampled_from(["CR", "LF", "CRLF", "TAB"]),
       cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
       junk=st.binary(max_size=20))
def test_fuzz_valid_codes_survive_any_chunking_after_junk(items, suffix, cuts, junk):
    term = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}[suffix]
    # junk is terminated first (line noise before the first real scan)
    stream = junk.replace(b"\x02", b"").replace(b"\x03", b"") + term
    stream += b"".join(c.encode() + term for c in items)
    f = Framer(suffix, max_length=64)
    out = []
    prev = 0
    for cut in sorted(c % (len(stream) + 1) for c in cuts) + [len(stream)]:
        out += f.feed(stream[prev:cut], 0.0)
        prev = cut
    got = codes(out)
    assert got[-len(items):] == items


def test_pause_inside_a_code_shorter_than_the_inter_character_timeout_is_not_an_end():
    """Bytes of one code with a 200 ms pause inside: one code, not two scans (default 0.3 s)."""
    f = Framer("CR")
    assert f.feed(CODE[:7].encode(), 1.0) == []
    assert f.poll(1.1) == [] and f.poll(1.199) == []
    assert codes(f.feed(CODE[7:].encode() + b"\r", 1.2)) == [CODE]


def test_suffix_none_pause_inside_a_code_is_not_an_end():
    f = Framer("NONE")
    assert f.feed(CODE[:9].encode(), 5.0) == []
    assert f.poll(5.2) == []
    assert f.feed(CODE[9:].encode(), 5.2) == []
    assert f.poll(5.45) == []
    assert codes(f.poll(5.51)) == [CODE]


def test_a_pause_longer_than_the_timeout_still_abandons_a_partial_read():
    f = Framer("CR", gap_s=0.3)
    f.feed(b"12345", 1.0)
    out = f.feed(CODE.encode() + b"\r", 1.5)
    assert "incomplete frame" in reasons(out)[0] and codes(out) == [CODE]
