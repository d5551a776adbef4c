"""Printer behaviour seen in the field: silent printers, Chinese modes, CLDR spaces."""
from __future__ import annotations

import pytest
from escpos.printer import Dummy

from drivers.errors import DeviceConfigError
from drivers.fonts import find_cjk_font
from drivers.printers import PrinterStatus, ReceiptDocument, build_printer, render_escpos
from drivers.printers.escpos_printer import EscposPrinter

FS_ON, FS_OFF = b"\x1c&", b"\x1c."


class AnsweringDummy(Dummy):
    """A Dummy transport that answers DLE EOT with canned bytes (b"" = never answers), and
    counts the status questions it was asked."""

    def __init__(self, answers: dict[bytes, bytes], **kw) -> None:
        super().__init__(**kw)
        self.answers = answers
        self.questions = 0
        self._last = b""

    def _raw(self, msg: bytes) -> None:
        if msg in self.answers:
            self._last = msg
            self.questions += 1
            return
        super()._raw(msg)

    def _read(self) -> bytes:
        return self.answers.get(self._last, b"")


def printer_with(answers: dict[bytes, bytes]) -> tuple[EscposPrinter, list[AnsweringDummy]]:
    made: list[AnsweringDummy] = []

    def make():
        made.append(AnsweringDummy(answers))
        return made[-1]
    return EscposPrinter(make_device=make, kind="serial", where="/dev/ttyUSB0"), made


ONLINE_Q, PAPER_Q = b"\x10\x04\x01", b"\x10\x04\x04"


def test_a_printer_that_never_answers_status_is_still_printed_to_and_asked_once():
    printer, made = printer_with({ONLINE_Q: b"", PAPER_Q: b""})
    first = printer.print_document(ReceiptDocument().text("Receipt 1").cut())
    second = printer.print_document(ReceiptDocument().text("Receipt 2").cut())
    assert first.printed and second.printed
    assert first.status is PrinterStatus.UNKNOWN
    dev = made[0]
    assert b"Receipt 1" in dev.output and b"Receipt 2" in dev.output
    # one unanswered question per connection, not two per receipt (each costs a read timeout)
    assert dev.questions == 1


def test_answered_offline_and_paper_out_are_not_printed():
    offline, _ = printer_with({ONLINE_Q: bytes([0x08 | 0x12])})
    assert not offline.print_document(ReceiptDocument().text("x")).printed
    paper_out, made = printer_with({ONLINE_Q: bytes([0x12]), PAPER_Q: bytes([0x72])})
    result = paper_out.print_document(ReceiptDocument().text("x"))
    assert not result.printed and result.status is PrinterStatus.PAPER_OUT
    assert b"x\n" not in made[0].output


def test_answering_printer_with_paper_is_ready():
    printer, made = printer_with({ONLINE_Q: bytes([0x12]), PAPER_Q: bytes([0x12])})
    result = printer.print_document(ReceiptDocument().text("ok"))
    assert result.printed and result.status is PrinterStatus.READY
    assert made[0].questions == 2


def test_cldr_narrow_no_break_space_prints_as_a_space():
    # Babel formats "6:06 PM" with U+202F and "12,50 $" with U+00A0: code pages have neither
    out = render_escpos(ReceiptDocument().text("6:06\u202fPM  12,50\u00a0$"))
    assert b"6:06 PM  12,50 $\n" in out
    assert b"?" not in out


def test_auto_mode_switches_chinese_lines_into_kanji_mode_and_keeps_accents_on_code_pages():
    out = render_escpos(ReceiptDocument().text("付款成功").text("Reçu"))
    assert FS_ON + "付款成功".encode("gb18030") + FS_OFF + b"\n" in out
    assert FS_ON + "Reçu".encode("gb18030") not in out
    assert b"Re\x87u\n" in out  # ç in the default code page (CP437), not GB18030 bytes


def test_none_mode_never_sends_kanji_mode():
    out = render_escpos(ReceiptDocument().text("付款成功"), cjk="none")
    assert FS_ON not in out


@pytest.mark.skipif(find_cjk_font() is None, reason="needs a CJK font (fonts-wqy-microhei)")
def test_raster_mode_sends_an_image_instead_of_text():
    out = render_escpos(ReceiptDocument(width=32).text("付款成功", align="center"), cjk="raster")
    assert "付款成功".encode("gb18030") not in out and FS_ON not in out
    assert b"\x1dv0" in out  # GS v 0: raster bit image


def test_unknown_cjk_mode_is_a_configuration_error_naming_the_choices():
    with pytest.raises(DeviceConfigError, match="auto, gb18030, raster, none"):
        build_printer("dummy", cjk="big5")
