"""deploy/: the unit passes systemd-analyze verify (where available), the install script parses,
the production example is a valid configuration of the shape provisioning writes."""
from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from terminal.config import load_config

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "pos-terminal.service"


def test_unit_has_the_decided_options():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/pos-terminal", "PrivateTmp=yes", "SupplementaryGroups=dialout video",
                 "LimitNOFILE=4096"):
        assert line in text, line


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_analyze_verify(tmp_path):
    # The ExecStart binary exists only on an installed device: point it at one that exists here.
    unit = tmp_path / "pos-terminal.service"
    unit.write_text(UNIT.read_text().replace("/opt/pos-terminal/current/bin/pos-terminal", shutil.which("true")))
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_install_script_parses():
    script = ROOT / "deploy" / "install.sh"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, check=False).returncode == 0
    text = script.read_text()
    assert "usermod -aG" in text and "dialout" in text and "video" in text
    assert "systemctl enable pos-terminal.service" in text
    assert "releases/$VERSION" in text and 'mv -T "$PREFIX/.current.tmp" "$PREFIX/current"' in text
    assert "update \"$WHEEL\"" in text                       # upgrades go through `pos-terminal update`


def test_unit_runs_the_current_release_and_recovers_an_interrupted_update():
    text = UNIT.read_text()
    assert "ExecStart=/opt/pos-terminal/current/bin/pos-terminal " in text
    assert "ExecStartPre=+-/opt/pos-terminal/current/bin/pos-terminal" in text and "update --recover" in text


def test_production_example_matches_what_provisioning_writes(tmp_path):
    from terminal.provisioning import production_config

    example = load_config(ROOT / "config" / "production.example.toml")
    assert not example.acquirer.embedded
    answer = {"clientId": "C-1", "terminalId": "T-1", "keyVersion": "1", "merchant": {},
              "acquirerEncryptionKey": {"kid": "k", "publicKey": ""}, "currencies": ["USD"]}
    written = production_config(example, answer, base_url="https://a.example", state_dir=tmp_path, ca_bundle="",
                                serial_number="SN")
    assert set(written["acquirer"]) <= set(tomllib.loads((ROOT / "config" / "production.example.toml")
                                                         .read_text())["acquirer"]) | {"payment_expiry_s"}


RULES = ROOT / "deploy" / "60-pos-terminal-printers.rules"
_UDEV_PAIR = r'(ACTION|SUBSYSTEM|ENV\{[A-Z_]+\}|ATTR\{[A-Za-z]+\}|IMPORT\{builtin\}|MODE|GROUP|GOTO|LABEL)(==|!=|=)"[^"]*"'


def test_usb_printer_rule_parses_and_gives_the_printer_to_lp():
    """The production printer (usb) needs /dev/bus/usb access: the rule file udev reads."""
    import re

    rules = [line for line in RULES.read_text().splitlines() if line.strip() and not line.startswith("#")]
    for line in rules:
        pairs = [p.strip() for p in line.split(", ")]
        for pair in pairs:
            assert re.fullmatch(_UDEV_PAIR, pair), (line, pair)
    text = "\n".join(rules)
    assert 'ENV{ID_USB_INTERFACES}=="*:0701??:*", MODE="0660", GROUP="lp"' in text   # any printer-class device
    assert 'ATTR{idVendor}=="04b8"' in text                                          # Epson TM
    gotos = set(re.findall(r'GOTO="([^"]+)"', text))
    labels = set(re.findall(r'LABEL="([^"]+)"', text))
    assert gotos and gotos <= labels
    install = (ROOT / "deploy" / "install.sh").read_text()
    assert "60-pos-terminal-printers.rules\" /etc/udev/rules.d/" in install
    assert "for group in dialout video input lp" in install
    assert "libusb-1.0-0" in install and "libusb-1.0-0" in (ROOT / "bootstrap.sh").read_text()
    assert "SupplementaryGroups=dialout video input lp" in UNIT.read_text()


def test_pyusb_finds_libusb():
    """python-escpos's Usb printer needs pyusb and a libusb backend (both were missing)."""
    import usb.backend.libusb1
    import usb.core

    assert usb.backend.libusb1.get_backend() is not None and usb.core.find is not None


def test_journald_drop_in_bounds_the_journal():
    import configparser

    conf = configparser.ConfigParser()
    conf.optionxform = str
    conf.read_string((ROOT / "deploy" / "journald-pos-terminal.conf").read_text())
    assert conf["Journal"]["SystemMaxUse"] and conf["Journal"]["Storage"] == "persistent"
    assert "/etc/systemd/journald.conf.d/pos-terminal.conf" in (ROOT / "deploy" / "install.sh").read_text()


def test_the_installers_install_the_cjk_font_the_till_is_measured_with():
    """deploy/install.sh installed fonts-noto-cjk while the UI prefers, and every benchmark ran
    on, WenQuanYi (bootstrap.sh): a kiosk's idle till was 219.5 MB instead of 185.6 (FreeType
    holds 2.2 MB of Noto's tables per face, 15 faces) and 0.16 s slower to its keypad."""
    from drivers.fonts import KNOWN_PATHS, PREFERRED_PACKAGE

    assert "wqy-microhei" in KNOWN_PATHS[0] and PREFERRED_PACKAGE == "fonts-wqy-microhei"
    install = (ROOT / "deploy" / "install.sh").read_text()
    assert PREFERRED_PACKAGE in install and PREFERRED_PACKAGE in (ROOT / "bootstrap.sh").read_text()
    assert "fonts-noto-cjk" not in install          # 90 MB on the SD card that nothing would use
