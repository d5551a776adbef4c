#!/usr/bin/env bash
# Install the POS terminal on Raspberry Pi OS (bookworm/trixie, 64-bit) as a kiosk service.
#
#   sudo ./deploy/install.sh [--user pos] [--prefix /opt/pos-terminal] [--no-enable]
#
# Idempotent: run it again after `git pull` to upgrade (through `pos-terminal update`, which keeps
# the previous release for `pos-terminal rollback`; see deploy/UPDATES.md). It does not provision the terminal:
# afterwards run, as the service user,
#   sudo -u pos POS_TERMINAL_STATE_DIR=/var/lib/pos-terminal /opt/pos-terminal/current/bin/pos-terminal \
#        provision --activation-code CODE --acquirer https://... --acquirer-key acquirer.pem \
#        --config-out /var/lib/pos-terminal/terminal.toml
# then `sudo systemctl start pos-terminal`.
set -euo pipefail

SERVICE_USER=pos
PREFIX=/opt/pos-terminal
STATE_DIR=/var/lib/pos-terminal
ENABLE=1
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --user) SERVICE_USER="$2"; shift 2 ;;
        --prefix) PREFIX="$2"; shift 2 ;;
        --no-enable) ENABLE=0; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

if [[ $EUID -ne 0 ]]; then
    echo "run as root: sudo $0 $*" >&2
    exit 2
fi

echo "==> system packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# python3-venv: the virtual environment; libzbar0: pyzbar decoder; Mesa EGL/GL + SDL2 for Kivy;
# libmtdev1: touchscreens; fonts-wqy-microhei: Chinese receipts and UI (the font the till is measured
# with; drivers/fonts.py says why not Noto CJK); chrony: a correct clock
# (the acquirer refuses requests more than 300 s off); libusb-1.0-0: USB receipt printers (pyusb).
apt-get install -y --no-install-recommends \
    python3 python3-venv python3-pip python3-dev build-essential git \
    libzbar0 libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libgles2 \
    libsdl2-2.0-0 libsdl2-image-2.0-0 libsdl2-mixer-2.0-0 libsdl2-ttf-2.0-0 libmtdev1 \
    fonts-wqy-microhei chrony sqlite3 ca-certificates libusb-1.0-0

echo "==> service user '$SERVICE_USER' (groups dialout, video, input, lp, render)"
if ! id "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
for group in dialout video input lp render; do
    if getent group "$group" >/dev/null; then
        usermod -aG "$group" "$SERVICE_USER"
    fi
done

echo "==> release in $PREFIX/releases (current -> the running one)"
# The wheel is built here with its pinned dependencies as a folder of wheels (a bundle); the
# same bundle format feeds `pos-terminal update` (see deploy/UPDATES.md). Each release is a
# complete venv at $PREFIX/releases/<version>; $PREFIX/current is switched atomically.
install -d -m 0755 "$PREFIX" "$PREFIX/releases" "$PREFIX/bundles"
BUILD_VENV="$PREFIX/.build-venv"
[[ -x "$BUILD_VENV/bin/python" ]] || python3 -m venv "$BUILD_VENV"
"$BUILD_VENV/bin/pip" install -q --upgrade -r "$SRC/requirements-bootstrap.txt" wheel
BUNDLE="$(mktemp -d "$PREFIX/bundles/new.XXXXXX")"
# The pinned pip and setuptools travel in the bundle: every release venv is upgraded from it
# (the ones `python3 -m venv` copies in have known advisories; security/advisories.toml).
"$BUILD_VENV/bin/pip" wheel -q -w "$BUNDLE" "$SRC" -r "$SRC/requirements-bootstrap.txt"
WHEEL="$(ls "$BUNDLE"/pos_terminal-*-py3-none-any.whl)"
VERSION="$(basename "$WHEEL" | sed -E 's/^pos_terminal-([^-]+)-.*/\1/')"
rm -rf "$PREFIX/bundles/$VERSION"
mv "$BUNDLE" "$PREFIX/bundles/$VERSION"
WHEEL="$PREFIX/bundles/$VERSION/$(basename "$WHEEL")"
CURRENT="$(basename "$(readlink "$PREFIX/current" 2>/dev/null || true)")"
if [[ -n "$CURRENT" && -x "$PREFIX/current/bin/pos-terminal" ]]; then
    if [[ "$CURRENT" == "$VERSION" ]]; then
        echo "release $VERSION is already current (bump the version in pyproject.toml to ship a change)"
    else
        # An upgrade: the running release's own updater (refuses while payments are unresolved,
        # backs up and migrates the journal, rolls back by itself if the new one is unhealthy).
        POS_TERMINAL_STATE_DIR="$STATE_DIR" "$PREFIX/current/bin/pos-terminal" \
            --config "$STATE_DIR/terminal.toml" update "$WHEEL" --root "$PREFIX"
    fi
else
    # First install: the release is made whole, then `current` points at it.
    REL="$PREFIX/releases/$VERSION"
    rm -rf "$REL"
    python3 -m venv "$REL/venv"
    "$REL/venv/bin/pip" install -q --no-index --find-links "$PREFIX/bundles/$VERSION" --upgrade pip setuptools
    "$REL/venv/bin/pip" install -q --no-index --find-links "$PREFIX/bundles/$VERSION" "$WHEEL"
    install -d "$REL/bin"
    ln -sfn ../venv/bin/pos-terminal "$REL/bin/pos-terminal"
    printf '{"installedAt": "%s", "status": "good", "wheel": "%s"}\n' "$(date -u +%FT%T.000Z)" \
        "$(basename "$WHEEL")" > "$REL/RELEASE.json"
    sync
    ln -sfn "releases/$VERSION" "$PREFIX/.current.tmp"
    mv -T "$PREFIX/.current.tmp" "$PREFIX/current"
    sync
    # The in-place layout of earlier versions ($PREFIX/venv, $PREFIX/src) is no longer used.
    rm -rf "$PREFIX/venv" "$PREFIX/src"
fi
rm -rf "$PREFIX/deploy"
cp -a "$SRC/deploy" "$PREFIX/deploy"

echo "==> state directory $STATE_DIR (mode 0700, owned by $SERVICE_USER)"
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"
chown -R "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR"
chmod 0700 "$STATE_DIR"
find "$STATE_DIR" -maxdepth 1 -type f \( -name '*.pem' -o -name '*.key' -o -name '*_pin.json' \
     -o -name control_token -o -name 'journal.sqlite*' \) ! -name 'acquirer_*.pem' -exec chmod 0600 {} +

echo "==> udev rule for USB receipt printers (group lp), journald limits"
install -m 0644 "$SRC/deploy/60-pos-terminal-printers.rules" /etc/udev/rules.d/60-pos-terminal-printers.rules
if command -v udevadm >/dev/null; then
    udevadm control --reload || true
    udevadm trigger --subsystem-match=usb --action=change || true
fi
install -d -m 0755 /etc/systemd/journald.conf.d
install -m 0644 "$SRC/deploy/journald-pos-terminal.conf" /etc/systemd/journald.conf.d/pos-terminal.conf
install -d -m 2755 -g systemd-journal /var/log/journal 2>/dev/null || install -d -m 0755 /var/log/journal
systemctl restart systemd-journald 2>/dev/null || true

echo "==> systemd unit"
install -m 0644 "$SRC/deploy/pos-terminal.service" /etc/systemd/system/pos-terminal.service
sed -i "s/^User=.*/User=$SERVICE_USER/; s/^Group=.*/Group=$SERVICE_USER/; s#/opt/pos-terminal#$PREFIX#g" \
    /etc/systemd/system/pos-terminal.service
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /etc/systemd/system/pos-terminal.service
fi
systemctl daemon-reload
systemctl enable chrony >/dev/null 2>&1 || true
if [[ $ENABLE -eq 1 ]]; then
    systemctl enable pos-terminal.service
fi

if [[ ! -f "$STATE_DIR/terminal.toml" ]]; then
    cat <<MSG

Installed. The terminal is not provisioned yet: run as $SERVICE_USER
  sudo -u $SERVICE_USER POS_TERMINAL_STATE_DIR=$STATE_DIR $PREFIX/current/bin/pos-terminal provision \\
       --activation-code CODE --acquirer https://ACQUIRER --acquirer-key ACQUIRER_SIGNING_KEY.pem \\
       [--ca-bundle CA.pem] --config-out $STATE_DIR/terminal.toml
then: sudo systemctl start pos-terminal   (and see $PREFIX/deploy/KIOSK.md)
MSG
else
    echo "Installed. Restart with: sudo systemctl restart pos-terminal"
fi
