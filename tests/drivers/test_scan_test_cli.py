"""`scan-test` (terminal/cli/cmd_scan_test.py) through a tiny parser like the real one."""
import argparse
import json

import cv2
import pytest

from drivers.scanners.virtual_serial import VirtualSerialDevice
from terminal.cli import cmd_scan_test

from .frames import frame_with, write_video

ALIPAY = "281012345678901234"
WECHAT = "134567890123456789"


def parse(argv):
    parser = argparse.ArgumentParser(prog="pos-terminal")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--config")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd_scan_test.register(sub)
    return parser.parse_args(argv)


def run(argv, capsys):
    args = parse(argv)
    rc = args.func(args)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def images(tmp_path):
    paths = {}
    for name, data in [("alipay", ALIPAY), ("wechat", WECHAT), ("url", "https://example.com/x"),
                       ("empty", None)]:
        p = tmp_path / f"{name}.png"
        cv2.imwrite(str(p), frame_with(data))
        paths[name] = str(p)
    return paths


def test_images_json_lines(images, capsys):
    rc, out, err = run(["--json", "scan-test", "--image", images["alipay"], images["wechat"],
                        images["url"]], capsys)
    assert rc == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in rows] == [images["alipay"], images["wechat"], images["url"]]
    assert [r["kind"] for r in rows] == ["ALIPAY_CN", "WECHATPAY", "NOT_A_PAYMENT_CODE"]
    assert all(r["decoded"] is True and isinstance(r["ms"], float) for r in rows)
    assert rows[0]["masked"] == "281012**********34"
    assert {"file", "decoded", "kind", "masked", "ms"} <= set(rows[0])
    assert ALIPAY not in out + err and WECHAT not in out + err
    assert "https://example.com/x" not in out


def test_image_without_code_and_missing_file(images, tmp_path, capsys):
    rc, out, _ = run(["--json", "scan-test", "--image", images["empty"]], capsys)
    row = json.loads(out)
    assert rc == 1 and row["decoded"] is False and row["masked"] is None
    rc, out, _ = run(["--json", "scan-test", "--image", str(tmp_path / "nope.png")], capsys)
    assert rc == 2 and json.loads(out)["error"] == "no such file"


def test_images_human_output(images, capsys):
    rc, out, _ = run(["scan-test", "--image", images["alipay"], images["empty"]], capsys)
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{images['alipay']}: ALIPAY_CN 281012**********34 (")
    assert lines[1].startswith(f"{images['empty']}: no code found")


def test_serial_live_with_count(tmp_path, capsys, monkeypatch):
    dev = VirtualSerialDevice(link=str(tmp_path / "scanner"))
    # the scanner opens the port in run(); write once the port is READY (state on stderr)
    import threading

    from drivers.scanners import serial_scanner

    ready = threading.Event()
    real = serial_scanner.SerialScanner._set_state

    def spy(self, state, message=""):
        real(self, state, message)
        if state.value == "READY":
            ready.set()

    monkeypatch.setattr(serial_scanner.SerialScanner, "_set_state", spy)

    def typist():
        assert ready.wait(10)
        dev.type_code(WECHAT)

    t = threading.Thread(target=typist)
    t.start()
    try:
        rc, out, err = run(["--json", "scan-test", "--serial", dev.port, "--count", "1",
                            "--timeout", "10"], capsys)
    finally:
        t.join()
        dev.close()
    assert rc == 0
    row = json.loads(out)
    assert row["kind"] == "WECHATPAY" and row["masked"] == "134567**********89"
    assert WECHAT not in out + err


def test_camera_live_on_video_file(tmp_path, capsys):
    frames = [frame_with(None)] * 2 + [frame_with(ALIPAY, seed=i) for i in range(5)]
    video = write_video(tmp_path / "v.avi", frames)
    rc, out, _ = run(["--json", "scan-test", "--camera", str(video), "--timeout", "10"], capsys)
    assert rc == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1 and rows[0]["kind"] == "ALIPAY_CN" and rows[0]["ms"] > 0


def test_device_fault_exit_3(tmp_path, capsys):
    rc, _out, err = run(["scan-test", "--camera", str(tmp_path / "missing.avi"),
                         "--timeout", "5"], capsys)
    assert rc == 3 and "check scanner.camera" in err
