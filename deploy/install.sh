#!/usr/bin/env bash
# Install the POS terminal on Raspberry Pi OS (bookworm/trixie, 64-bit) as a kiosk service.
#
#   sudo ./deploy/install.sh [--user pos] [--prefix /opt/pos-terminal] [--state-dir /var/lib/pos-terminal]
#                            [--no-enable]
#
# Idempotent: run it again after `git pull` to upgrade (through `pos-terminal update`, which keeps
# the previous release for `pos-terminal rollback`; see deploy/UPDATES.md). It does not provision the terminal:
# afterwards run, as the service user,
#   sudo -u pos POS_TERMINAL_STATE_DIR=/var/lib/pos-terminal /opt/pos-terminal/current/bin/pos-terminal \
#        provision --activation-code CODE --acquirer https://... --acquirer-key acquirer.pem \
#        --config-out /var/lib/pos-terminal/terminal.toml
# then `sudo systemctl start pos-terminal`.
set -euo pipefail

# The functions below are sourced by tests/technician/test_install_script.py (no root, no apt):
# everything with a side effect runs in main(), at the bottom.

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

bad_usage() {
    echo "install.sh: $*" >&2
    echo "usage: sudo ./deploy/install.sh [--user NAME] [--prefix DIR] [--state-dir DIR] [--no-enable]  (--help)" >&2
    exit 2
}

# An absolute path the unit file can hold unquoted and sed can substitute: letters, digits, . _ - + /
check_dir() {
    local option="$1" dir="$2"
    [[ "$dir" == /* ]] || bad_usage "$option must be an absolute path (got '$dir')"
    [[ "$dir" =~ ^/[A-Za-z0-9._+/-]+$ ]] || bad_usage "$option '$dir': use only letters, digits and . _ - + / (the systemd unit holds it unquoted)"
    [[ "/$dir/" != *"/../"* && "/$dir/" != *"/./"* ]] || bad_usage "$option '$dir': no . or .. components"
    [[ "${dir%/}" != "" ]] || bad_usage "$option cannot be /"
}

# Sets SERVICE_USER, PREFIX, STATE_DIR, ENABLE from the command line; exits 2 with what to do on bad input.
parse_args() {
    SERVICE_USER=pos
    PREFIX=/opt/pos-terminal
    STATE_DIR=/var/lib/pos-terminal
    ENABLE=1
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --user|--prefix|--state-dir)
                [[ $# -ge 2 && -n "$2" && "$2" != -* ]] || bad_usage "$1 needs a value"
                case "$1" in
                    --user) SERVICE_USER="$2" ;;
                    --prefix) PREFIX="$2" ;;
                    --state-dir) STATE_DIR="$2" ;;
                esac
                shift 2 ;;
            --user=*|--prefix=*|--state-dir=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
            --no-enable) ENABLE=0; shift ;;
            -h|--help) usage; exit 0 ;;
            *) bad_usage "unknown option: $1" ;;
        esac
    done
    [[ "$SERVICE_USER" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || bad_usage "--user '$SERVICE_USER': a system user name is lower case letters, digits, _ and - (at most 32)"
    [[ "$SERVICE_USER" != root ]] || bad_usage "--user root: the terminal runs unprivileged (the default is pos)"
    check_dir --prefix "$PREFIX"
    check_dir --state-dir "$STATE_DIR"
    PREFIX="${PREFIX%/}"
    STATE_DIR="${STATE_DIR%/}"
    [[ "$STATE_DIR/" != "$PREFIX/"* && "$PREFIX/" != "$STATE_DIR/"* ]] || bad_usage "--state-dir and --prefix must not contain each other (an update replaces what is under the prefix)"
}

# The unit for this device on stdout: user, group, install prefix and state directory rewritten.
# StateDirectory= only names directories under /var/lib: it is kept for /var/lib/NAME, dropped
# otherwise (the installer makes the state directory itself, mode 0700).
render_unit() {
    local unit="$1" user="$2" group="$3" prefix="$4" state="$5" state_dir_rule
    if [[ "$state" =~ ^/var/lib/([^/]+)$ ]]; then
        state_dir_rule="s#^StateDirectory=.*#StateDirectory=${BASH_REMATCH[1]}#"
    else
        state_dir_rule='/^StateDirectory=/d; /^StateDirectoryMode=/d'
    fi
    # Placeholders first, so a prefix that contains the default state path (or the reverse) is
    # not rewritten twice; check_dir let no # & \ or newline through.
    sed -e 's#/opt/pos-terminal#@PREFIX@#g; s#/var/lib/pos-terminal#@STATE@#g' \
        -e "s#@PREFIX@#$prefix#g; s#@STATE@#$state#g" \
        -e "s/^User=.*/User=$user/; s/^Group=.*/Group=$group/" \
        -e "$state_dir_rule" \
        "$unit"
}

# Succeeds when version $1 is older than $2 (PEP 440, with the packaging module pip carries;
# `sort -V` would put 0.2.0rc1 after 0.2.0). $3: a python with pip.
version_older() {
    "$3" -c 'import sys; from pip._vendor.packaging.version import Version as V; sys.exit(0 if V(sys.argv[1]) < V(sys.argv[2]) else 1)' "$1" "$2"
}

# sd_booted(3): systemd is PID 1 here. Not in a chroot, a container or an image build: systemctl
# can still enable units there (symlinks), but not reload, start or stop them.
systemd_running() {
    [[ -d "${SYSTEMD_RUN_DIR:-/run/systemd/system}" ]]
}

main() {
    parse_args "$@"
    if [[ $EUID -ne 0 ]]; then
        echo "run as root: sudo $0 $*" >&2
        exit 2
    fi
    local SRC
    SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

    stage "system packages"
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

    stage "service user '$SERVICE_USER' (groups dialout, video, input, lp, render)"
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
    local SERVICE_GROUP group
    SERVICE_GROUP="$(id -gn "$SERVICE_USER")"
    for group in dialout video input lp render; do
        if getent group "$group" >/dev/null; then
            usermod -aG "$group" "$SERVICE_USER"
        fi
    done

    stage "release bundle (the wheel and its pinned dependencies) in $PREFIX/bundles"
    # The wheel is built here with its pinned dependencies as a folder of wheels (a bundle); the
    # same bundle format feeds `pos-terminal update` (see deploy/UPDATES.md). Each release is a
    # complete venv at $PREFIX/releases/<version>; $PREFIX/current is switched atomically.
    install -d -m 0755 "$PREFIX" "$PREFIX/releases" "$PREFIX/bundles"
    # Debian's python3 (installed above), never the first python3 on root's PATH: a venv links to
    # its interpreter, and one under /root (pyenv, conda) cannot be executed by the service user.
    local PYTHON=/usr/bin/python3 BUILD_VENV="$PREFIX/.build-venv" BUNDLE WHEEL VERSION CURRENT REL
    if [[ -x "$BUILD_VENV/bin/python" && "$("$BUILD_VENV/bin/python" -c 'import sys; print(sys._base_executable)')" != "$PYTHON"* ]]; then
        rm -rf "$BUILD_VENV"          # made by an earlier install.sh from another interpreter
    fi
    [[ -x "$BUILD_VENV/bin/python" ]] || "$PYTHON" -m venv "$BUILD_VENV"
    "$BUILD_VENV/bin/pip" install -q --upgrade -r "$SRC/requirements-bootstrap.txt" wheel
    BUNDLE="$(mktemp -d "$PREFIX/bundles/new.XXXXXX")"
    chmod 0755 "$BUNDLE"
    # The pinned pip and setuptools travel in the bundle: every release venv is upgraded from it
    # (the ones `python3 -m venv` copies in have known advisories; security/advisories.toml).
    "$BUILD_VENV/bin/pip" wheel -q -w "$BUNDLE" "$SRC" -r "$SRC/requirements-bootstrap.txt"
    WHEEL="$(ls "$BUNDLE"/pos_terminal-*-py3-none-any.whl)"
    VERSION="$(basename "$WHEEL" | sed -E 's/^pos_terminal-([^-]+)-.*/\1/')"
    rm -rf "$PREFIX/bundles/$VERSION"
    mv "$BUNDLE" "$PREFIX/bundles/$VERSION"
    WHEEL="$PREFIX/bundles/$VERSION/$(basename "$WHEEL")"

    stage "release $VERSION in $PREFIX/releases (current -> the running one)"
    CURRENT="$(basename "$(readlink "$PREFIX/current" 2>/dev/null || true)")"
    # A current release the service user cannot run (half-made, or made from an interpreter under
    # /root by an earlier install.sh) is replaced as on a first install.
    if [[ -n "$CURRENT" ]] && runuser -u "$SERVICE_USER" -- "$PREFIX/current/bin/pos-terminal" --help >/dev/null 2>&1; then
        if [[ "$CURRENT" == "$VERSION" ]]; then
            echo "release $VERSION is already current (bump the version in pyproject.toml to ship a change)"
        elif version_older "$VERSION" "$CURRENT" "$BUILD_VENV/bin/python"; then
            # An older checkout would silently downgrade the terminal; going back is a rollback.
            local back="update --version $VERSION"             # the bundle just built, in bundles/
            [[ ! -x "$PREFIX/releases/$VERSION/bin/pos-terminal" ]] || back="rollback --to $VERSION"
            echo "this checkout is release $VERSION, older than the current $CURRENT: the release was not changed." >&2
            echo "To go back to $VERSION on purpose: sudo POS_TERMINAL_STATE_DIR=$STATE_DIR $PREFIX/current/bin/pos-terminal \\" >&2
            echo "    --config $STATE_DIR/terminal.toml $back --root $PREFIX" >&2
            echo "To upgrade instead: check out $CURRENT or newer and run this again." >&2
            exit 1
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
        "$PYTHON" -m venv "$REL/venv"
        "$REL/venv/bin/pip" install -q --no-index --find-links "$PREFIX/bundles/$VERSION" --upgrade pip setuptools
        "$REL/venv/bin/pip" install -q --no-index --find-links "$PREFIX/bundles/$VERSION" "$WHEEL"
        install -d "$REL/bin"
        ln -sfn ../venv/bin/pos-terminal "$REL/bin/pos-terminal"
        # A release the service user cannot start is never made current.
        runuser -u "$SERVICE_USER" -- "$REL/bin/pos-terminal" --help >/dev/null
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

    stage "state directory $STATE_DIR (mode 0700, owned by $SERVICE_USER)"
    install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_GROUP" "$STATE_DIR"
    chown -R "$SERVICE_USER:$SERVICE_GROUP" "$STATE_DIR"
    chmod 0700 "$STATE_DIR"
    find "$STATE_DIR" -maxdepth 1 -type f \( -name '*.pem' -o -name '*.key' -o -name '*_pin.json' \
         -o -name control_token -o -name 'journal.sqlite*' \) ! -name 'acquirer_*.pem' -exec chmod 0600 {} +

    local SYSTEMD=1 NOTES=()
    systemd_running || SYSTEMD=0

    stage "udev rule for USB receipt printers (group lp), journald limits"
    # /etc/udev/rules.d is missing where udev is not installed (a container, a minimal image).
    install -d -m 0755 /etc/udev/rules.d
    install -m 0644 "$SRC/deploy/60-pos-terminal-printers.rules" /etc/udev/rules.d/60-pos-terminal-printers.rules
    if command -v udevadm >/dev/null && udevadm control --reload 2>/dev/null; then
        udevadm trigger --subsystem-match=usb --action=change
    else
        NOTES+=("udev is not running here: the printer rule applies from the next boot (or: sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=usb --action=change)")
    fi
    install -d -m 0755 /etc/systemd/journald.conf.d
    install -m 0644 "$SRC/deploy/journald-pos-terminal.conf" /etc/systemd/journald.conf.d/pos-terminal.conf
    install -d -m 2755 -g systemd-journal /var/log/journal 2>/dev/null || install -d -m 0755 /var/log/journal
    if [[ $SYSTEMD -eq 1 ]]; then
        systemctl restart systemd-journald
    fi

    stage "systemd unit"
    render_unit "$SRC/deploy/pos-terminal.service" "$SERVICE_USER" "$SERVICE_GROUP" "$PREFIX" "$STATE_DIR" \
        > /etc/systemd/system/.pos-terminal.service.tmp
    chmod 0644 /etc/systemd/system/.pos-terminal.service.tmp
    mv -f /etc/systemd/system/.pos-terminal.service.tmp /etc/systemd/system/pos-terminal.service
    if command -v systemd-analyze >/dev/null; then
        systemd-analyze verify /etc/systemd/system/pos-terminal.service
    fi
    # `systemctl enable` works without a running systemd (it makes the symlinks); daemon-reload does not.
    if [[ $SYSTEMD -eq 1 ]]; then
        systemctl daemon-reload
    fi
    systemctl enable chrony >/dev/null 2>&1 || NOTES+=("chrony could not be enabled: sudo systemctl enable --now chrony (the acquirer refuses a clock 300 s off)")
    if [[ $ENABLE -eq 1 ]]; then
        systemctl enable pos-terminal.service
    fi
    if [[ $SYSTEMD -eq 0 ]]; then
        local enabled="" pid1
        [[ $ENABLE -eq 0 ]] || enabled=" and the unit enabled"
        pid1="$(ps -o comm= -p 1 2>/dev/null || echo '?')"
        NOTES+=("systemd is not running here (PID 1 is '$pid1': a chroot, container or image build). The unit and the journald limits are installed$enabled; systemd reads them at the next boot, where nothing needs reloading.")
    fi

    echo
    if [[ ${#NOTES[@]} -gt 0 ]]; then
        printf 'Note: %s\n' "${NOTES[@]}"
        echo
    fi
    local ENABLE_HINT=""
    [[ $ENABLE -eq 1 ]] || ENABLE_HINT="sudo systemctl enable pos-terminal && "
    if [[ ! -f "$STATE_DIR/terminal.toml" ]]; then
        cat <<MSG
Installed release $VERSION in $PREFIX. The terminal is not provisioned yet: run as $SERVICE_USER
  sudo -u $SERVICE_USER POS_TERMINAL_STATE_DIR=$STATE_DIR $PREFIX/current/bin/pos-terminal provision \\
       --activation-code CODE --acquirer https://ACQUIRER --acquirer-key ACQUIRER_SIGNING_KEY.pem \\
       [--ca-bundle CA.pem] --config-out $STATE_DIR/terminal.toml
then: ${ENABLE_HINT}sudo systemctl start pos-terminal   (and see $PREFIX/deploy/KIOSK.md)
MSG
    else
        echo "Installed release $VERSION in $PREFIX. Restart with: ${ENABLE_HINT}sudo systemctl restart pos-terminal"
    fi
}

stage() {
    echo "==> $* [${SECONDS}s]"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
