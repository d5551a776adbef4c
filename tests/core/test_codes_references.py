"""Which references look like payment codes (issue #12 item 9), without a terminal: the same
recognition as a scan, through any spacing, separators or digit width."""
from __future__ import annotations

import pytest

from terminal.codes import looks_like_payment_code
from terminal.demo_codes import code_for

CODE = code_for("0000")


@pytest.mark.parametrize("text", [CODE, f"order {CODE}", f"ref-{CODE}-x", " ".join(CODE[i:i + 4] for i in range(0, 18, 4)),
                                  "".join(chr(0xFF10 + int(d)) for d in CODE), "-".join(CODE[i:i + 3] for i in range(0, 18, 3))])
def test_code_like_references(text):
    assert looks_like_payment_code(text)


@pytest.mark.parametrize("text", ["ORDER-1234", "2026-11-29/0001", "1234567890123456", "", "INV 000123", "12" * 20])
def test_ordinary_references(text):
    assert not looks_like_payment_code(text)
