"""Receipt documents, their ESC/POS bytes (python-escpos Dummy) and text, printer statuses."""
import socket

import pytest
from escpos.printer import Dummy

from drivers.errors import DeviceConfigError
from drivers.printers import (
    PrinterStatus,
    ReceiptDocument,
    VirtualPrinter,
    build_printer,
    render_escpos,
    render_text,
)
from drivers.printers.document import column_lines, display_width, wrap
from drivers.printers.escpos_printer import EscposPrinter

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"


def sample(copy=False):
    doc = ReceiptDocument(width=32)
    doc.text("上海便利店", align="center", bold=True)
    doc.columns("Amount", "USD 12.50", bold=True)
    doc.columns("Wallet", "ALIPAY_CN")
    doc.columns("Code", "281012**********34")
    doc.separator()
    doc.qr("TX-0001", size=5)
    if copy:
        doc.copy_marker()
    return doc.cut()


def test_minimal_document_bytes_exact():
    doc = ReceiptDocument(width=16).text("Hi", bold=True).separator("=").cut()
    out = render_escpos(doc)
    assert out == (INIT + ESC + b"E\x01" + ESC + b"t\x00" + b"Hi\n"  # ESC t: code page
                   + ESC + b"E\x00" + b"================\n"
                   + ESC + b"d\x06" + GS + b"V\x00")


def test_columns_bold_and_alignment_bytes():
    doc = ReceiptDocument(width=20).columns("Total", "12.50", bold=True)
    assert render_escpos(doc) == (INIT + ESC + b"E\x01" + ESC + b"t\x00"
                                  + b"Total          12.50\n"
                                  + ESC + b"E\x00")


def test_native_qr_bytes():
    out = render_escpos(ReceiptDocument().qr("TX-0001", size=5))
    data = b"TX-0001"
    store = GS + b"(k" + bytes([len(data) + 3, 0]) + b"1P0" + data
    assert ESC + b"a\x01" in out  # centred
    assert GS + b"(k\x04\x001A2\x00" in out  # model 2
    assert GS + b"(k\x03\x001C\x05" in out  # module size 5
    assert store in out
    assert GS + b"(k\x03\x001Q0" in out  # print the stored symbol


def test_copy_marker_is_big_and_bold():
    out = render_escpos(ReceiptDocument().copy_marker())
    assert ESC + b"E\x01" in out and GS + b"!\x11" in out  # bold, double width+height
    assert b"*** COPY ***" in out


def test_cjk_mode_wraps_chinese_in_fs_kanji():
    out = render_escpos(ReceiptDocument().text("付款 OK"), cjk="gb18030")
    assert b"\x1c&" + "付款 OK".encode("gb18030") + b"\x1c.\n" in out


def test_text_rendering_is_utf8_readable_and_aligned():
    text = render_text(sample(copy=True))
    lines = text.splitlines()
    assert lines[0] == " " * 11 + "上海便利店"
    assert lines[1] == "Amount" + " " * 17 + "USD 12.50"
    assert "281012**********34" in text
    assert "*** COPY ***" in text and "[QR: TX-0001]" in text
    assert all(display_width(line) <= 32 for line in lines)


def test_layout_helpers_wrap_long_values_and_cjk():
    assert column_lines("Transaction", "2024061112345678901234567", 24) == [
        "Transaction", "2024061112345678901234567"[:24], " " * 23 + "7"]
    assert all(display_width(x) <= 10 for x in wrap("支付宝付款码支付成功谢谢", 10))
    assert wrap("one two three", 7) == ["one two", "three"]


def test_dummy_printer_result_and_bytes():
    p = build_printer(kind="dummy")
    result = p.print_document(sample())
    assert result.printed and result.bytes_written == len(render_escpos(sample()))


class StatusDummy(Dummy):
    """A Dummy transport that answers DLE EOT status queries like a real printer."""

    def __init__(self, online=0x12, paper=0x12):
        super().__init__()
        self.replies = {b"\x10\x04\x01": bytes([online]), b"\x10\x04\x04": bytes([paper])}
        self._last = b""

    def _raw(self, msg):
        self._last = msg
        super()._raw(msg)

    def _read(self):
        return self.replies.get(self._last, b"")


@pytest.mark.parametrize("online,paper,status,printed", [
    (0x12, 0x12, PrinterStatus.READY, True),
    (0x12, 0x1E, PrinterStatus.PAPER_LOW, True),
    (0x12, 0x72, PrinterStatus.PAPER_OUT, False),
    (0x1A, 0x12, PrinterStatus.OFFLINE, False),
])
def test_status_before_printing(online, paper, status, printed):
    dev = StatusDummy(online, paper)
    p = EscposPrinter(make_device=lambda: dev, kind="serial", where="/dev/ttyUSB0")
    result = p.print_document(sample())
    assert result.status is status and result.printed is printed
    assert (b"USD 12.50" in dev.output) is printed
    if status is PrinterStatus.PAPER_OUT:
        assert "load a roll" in result.message
    if status is PrinterStatus.OFFLINE:
        assert "/dev/ttyUSB0" in result.message and "check its power and cable" in result.message


def test_network_printer_offline_is_reported_not_raised():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    p = build_printer(kind="network", path=f"127.0.0.1:{port}", timeout=2)
    result = p.print_document(sample())
    assert not result.printed and result.status is PrinterStatus.OFFLINE
    assert f"127.0.0.1:{port}" in result.message
    assert p.status() is PrinterStatus.OFFLINE


def test_network_printer_receives_the_exact_bytes():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    p = build_printer(kind="network", path=f"127.0.0.1:{port}", query_status=False)
    result = p.print_document(sample())
    conn, _ = srv.accept()
    conn.settimeout(5)
    p.close()
    got = b""
    while chunk := conn.recv(65536):
        got += chunk
    conn.close()
    srv.close()
    assert result.printed and got == render_escpos(sample())


def test_file_printer_appends_utf8_text(tmp_path):
    path = tmp_path / "out" / "receipts.txt"
    p = build_printer(kind="file", path=str(path))
    assert p.print_document(sample()).printed
    assert p.print_document(sample(copy=True)).printed
    text = path.read_text(encoding="utf-8")
    assert text.count("上海便利店") == 2 and text.count("*** COPY ***") == 1


def test_file_printer_escpos_format(tmp_path):
    path = tmp_path / "capture.bin"
    p = build_printer(kind="file", path=str(path), format="escpos")
    p.print_document(sample())
    assert path.read_bytes() == render_escpos(sample())


def test_file_printer_unwritable_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = build_printer(kind="file", path=str(blocker / "receipts.txt"))
    result = p.print_document(sample())
    assert not result.printed and result.status is PrinterStatus.OFFLINE
    assert "check printer.path" in result.message


def test_virtual_printer_switches():
    p = build_printer(kind="virtual")
    assert isinstance(p, VirtualPrinter)
    assert p.print_document(sample()).printed and "USD 12.50" in p.printed[-1]
    p.paper_out = True
    r = p.print_document(sample())
    assert not r.printed and r.status is PrinterStatus.PAPER_OUT
    p.paper_out, p.offline = False, True
    assert p.print_document(sample()).status is PrinterStatus.OFFLINE
    assert len(p.printed) == 1


def test_none_printer():
    p = build_printer(kind="none", path="ignored")
    r = p.print_document(sample())
    assert not r.printed and r.status is PrinterStatus.DISABLED


def test_factory_errors_say_what_to_set():
    with pytest.raises(DeviceConfigError, match="printer.kind"):
        build_printer(kind="laser")
    with pytest.raises(DeviceConfigError, match="printer.path"):
        build_printer(kind="file")
    with pytest.raises(DeviceConfigError, match="printer.colour"):
        build_printer(kind="file", path="x", colour="red")
    with pytest.raises(DeviceConfigError, match="printer.cjk"):
        build_printer(kind="virtual", cjk="big5")


def test_whole_config_table_can_be_passed_through(tmp_path):
    table = {"path": str(tmp_path / "r.txt"), "host": "", "port": 9100, "usb_vendor_id": 0,
             "usb_product_id": 0, "baudrate": 19200}
    assert build_printer(kind="file", **table).print_document(sample()).printed
    assert build_printer(kind="none", **table).status() is PrinterStatus.DISABLED
    net = build_printer(kind="network", **{**table, "host": "192.0.2.7", "port": 9101})
    assert net.where == "192.0.2.7:9101"
