"""Keyboard-wedge timing, evdev key translation, the virtual scanner and the factory."""
import sys

import pytest

from drivers.errors import DeviceConfigError
from drivers.scanners import ScannerState, VirtualScanner, build_scanner
from drivers.scanners.base import Debouncer
from drivers.scanners.keyboard import KeyboardWedgeScanner, WedgeDecoder
from drivers.scanners.keyboard_evdev import KeyTranslator

from .helpers import Collector

CODE = "281012345678901234"


def typed(decoder, text, t0, dt):
    out = []
    for i, ch in enumerate(text):
        out += decoder.key(ch, t0 + i * dt)
    return out


def test_fast_burst_with_enter_is_a_scan():
    d = WedgeDecoder()
    out = typed(d, CODE + "\r", 10.0, 0.004)
    assert [r.code for r in out] == [CODE]


def test_human_typing_is_not_a_scan_and_is_passed_through():
    d = WedgeDecoder()
    out = typed(d, "123456789\r", 10.0, 0.15)
    assert all(r.code is None for r in out)
    assert "".join(r.human or "" for r in out) == "123456789"


def test_short_fast_burst_is_human():
    d = WedgeDecoder(min_length=6)
    out = typed(d, "12\r", 10.0, 0.004)
    assert out and out[0].code is None and out[0].human == "12"


def test_human_keys_then_scan_right_after():
    d = WedgeDecoder()
    out = typed(d, "ab", 0.0, 0.2) + typed(d, CODE + "\r", 1.0, 0.005)
    assert [r.code for r in out if r.code] == [CODE]
    assert "".join(r.human for r in out if r.human) == "ab"


def test_suffix_none_ends_on_pause():
    d = WedgeDecoder(suffix="NONE", max_interkey_s=0.03)
    assert typed(d, CODE, 5.0, 0.004) == []
    assert [r.code for r in d.poll(5.0 + 18 * 0.004 + 0.1)] == [CODE]


def test_tab_suffix():
    d = WedgeDecoder(suffix="TAB")
    assert [r.code for r in typed(d, CODE + "\t", 0.0, 0.002)] == [CODE]


def test_keyboard_scanner_worker_delivers_and_passes_humans_through():
    clock = [100.0]
    humans = []
    sc = KeyboardWedgeScanner(clock=lambda: clock[0], on_human=humans.append)
    col = Collector()
    sc.start(col.on_scan, col.on_state)
    try:
        col.wait_state(ScannerState.READY)
        for i, ch in enumerate(CODE + "\r"):
            sc.feed(ch, 100.0 + i * 0.003)
        assert col.next_scan() == CODE
    finally:
        sc.stop()


def test_evdev_key_translation_with_shift():
    k = KeyTranslator()
    seq = [(42, 1), (35, 1), (35, 0), (42, 0), (18, 1), (2, 1), (11, 1), (28, 1)]
    chars = [k.event(c, v) for c, v in seq]
    assert "".join(c for c in chars if c) == "He10\r"


def test_keyboard_factory_without_device_is_app_fed():
    sc = build_scanner(kind="keyboard", port="auto", suffix="cr")
    assert type(sc) is KeyboardWedgeScanner


def test_virtual_scanner_inject_fault_and_restart():
    v = VirtualScanner()
    col = Collector()
    v.inject(CODE)  # before start: waits in the queue
    v.start(col.on_scan, col.on_state)
    assert col.next_scan() == CODE
    v.fail("unplugged (injected)")
    v.inject("130000000000000001")
    v.recover()
    v.inject("130000000000000002")
    assert col.next_scan() == "130000000000000002"
    assert v.health().dropped == 1
    v.stop()
    v.start(col.on_scan, col.on_state)
    v.inject("130000000000000003")
    assert col.next_scan() == "130000000000000003"
    v.stop()


def test_callback_exception_does_not_kill_the_worker(caplog):
    v = VirtualScanner()
    got = []

    def boom(code):
        got.append(code)
        if len(got) == 1:
            raise RuntimeError("ui bug")

    col = Collector()
    v.start(lambda c: (boom(c), col.on_scan(c)))
    v.inject(CODE)
    v.inject("130000000000000001")
    assert col.next_scan() == "130000000000000001"
    v.stop()
    assert CODE not in caplog.text
    assert "281012**********34" in caplog.text


def test_debouncer_window_restarts_while_code_stays_in_view():
    t = [0.0]
    d = Debouncer(1.0, clock=lambda: t[0])
    assert d.accept("A")
    for step in range(1, 10):  # seen every 0.5 s for 4.5 s: still the same scan
        t[0] = step * 0.5
        assert not d.accept("A")
    t[0] = 20.0
    assert d.accept("A")
    assert d.accept("B")


def test_factory_validates_options():
    with pytest.raises(DeviceConfigError, match="scanner.kind"):
        build_scanner(kind="laser")
    with pytest.raises(DeviceConfigError, match="scanner.suffix"):
        build_scanner(kind="serial", port="loop://", suffix="ETX")
    with pytest.raises(DeviceConfigError, match="scanner.bogus"):
        build_scanner(kind="serial", bogus=1)
    # the whole [scanner] table can be passed whatever the kind
    sc = build_scanner(kind="virtual", port="auto", baudrate=9600, suffix="CR", camera=0,
                       decoder="zxing")
    assert isinstance(sc, VirtualScanner)


def test_import_drivers_pulls_no_hardware_library():
    import subprocess

    code = ("import sys, drivers, drivers.scanners, drivers.printers, drivers.decoding; "
            "bad = [m for m in ('evdev','picamera2','usb','serial','pyzbar','zxingcpp') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_evdev_scanner_reads_a_grabbed_device(monkeypatch):
    """EvdevWedgeScanner against a stand-in input device (no /dev/input here): key events
    in, a scan out, the device grabbed and released."""
    evdev = pytest.importorskip("evdev")
    import os
    import types

    from drivers.scanners.keyboard_evdev import EvdevWedgeScanner

    keycodes = {"2": 3, "8": 9, "1": 2, "0": 11, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "9": 10}
    t0 = 1000.0
    events = []
    for i, ch in enumerate(CODE):
        events.append(types.SimpleNamespace(type=evdev.ecodes.EV_KEY, code=keycodes[ch],
                                            value=1, timestamp=lambda i=i: t0 + i * 0.004))
    events.append(types.SimpleNamespace(type=evdev.ecodes.EV_KEY, code=28, value=1,
                                        timestamp=lambda: t0 + 0.08))
    r, w = os.pipe()
    calls = []

    class FakeDevice:
        def __init__(self, path):
            self.path, self.fd, self.name = path, r, "Honeywell Scanner"

        def grab(self):
            calls.append("grab")

        def ungrab(self):
            calls.append("ungrab")

        def read(self):
            os.read(r, 1)
            batch = list(events)
            events.clear()
            return batch

        def close(self):
            calls.append("close")

    monkeypatch.setattr(evdev, "InputDevice", FakeDevice)
    sc = EvdevWedgeScanner(device="/dev/input/event7")
    col = Collector()
    sc.start(col.on_scan, col.on_state)
    try:
        col.wait_state(ScannerState.READY)
        os.write(w, b"x")
        assert col.next_scan() == CODE
    finally:
        sc.stop()
        os.close(w)
        os.close(r)
    assert calls[0] == "grab" and "ungrab" in calls
