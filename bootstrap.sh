#!/usr/bin/env bash
# One entry point for a fresh Debian / Raspberry Pi OS machine:
#   bash bootstrap.sh demo    set everything up, then run the demo (app, or headless scripted demo)
#   bash bootstrap.sh test    set everything up, then run the test suite (a full run first smoke-tests
#                             the installed wheel: scripts/smoke_installed.sh)
#   bash bootstrap.sh smoke   only the installed-wheel smoke test
#   bash bootstrap.sh lint    only the lint and type gate (ruff, mypy), which a full test run starts with
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
VENV="${POS_TERMINAL_VENV:-$HERE/.venv}"

APT_PACKAGES=(
  python3-venv python3-dev
  libzbar0                                   # pyzbar backend
  libusb-1.0-0                               # pyusb backend: USB receipt printers
  libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1   # Kivy offscreen (Mesa EGL/GL)
  libmtdev1 libsdl2-2.0-0                    # Kivy input / SDL runtime
  fonts-wqy-microhei                         # CJK glyphs for Chinese receipts and UI
  gettext                                    # msgfmt for the UI catalogs
  ca-certificates                            # the system CA store: an empty acquirer.ca_bundle (terminal/trust.py)
  gcc linux-libc-dev                         # build python-evdev (keyboard-wedge scanner; sdist only)
  mosquitto                                  # fleet MQTT broker: tests run their own on a free port (no service needed)
  chromium chromium-driver                   # fleet dashboard test in a real headless browser (Selenium)
)

need_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    [[ "$p" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  printf '%s\n' "${missing[@]}"
}

setup_system() {
  command -v apt-get >/dev/null || { echo "note: no apt-get here; install ${APT_PACKAGES[*]} yourself" >&2; return; }
  mapfile -t missing < <(need_apt)
  [[ ${#missing[@]} -eq 0 || -z "${missing[0]}" ]] && return
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_python() {
  local py="${PYTHON:-python3}"
  [[ -x "$VENV/bin/python" ]] || "$py" -m venv "$VENV"
  local stamp="$VENV/.installed-$(cat requirements-bootstrap.txt requirements.txt requirements-dev.txt setup.py pyproject.toml | sha256sum | cut -c1-16)"
  if [[ ! -f "$stamp" ]]; then
    # the venv's pip and setuptools first: the ones venv copies in have known advisories
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade -r requirements-bootstrap.txt
    "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-dev.txt
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e .
    touch "$stamp"
  fi
}

lint() {
  echo "lint: ruff check ." >&2
  "$VENV/bin/ruff" check --quiet .
  echo "types: mypy (terminal drivers ui sandbox fleet)" >&2
  "$VENV/bin/mypy"
}

setup_system
setup_python
export PATH="$VENV/bin:$PATH"

case "${1:-demo}" in
  demo) shift || true; exec pos-terminal demo "$@" ;;
  test) shift || true
        # The full run (CI's) starts with the habits gate (seconds): lint (ruff: default rules + import
        # order) and types (mypy, pydantic plugin), configured in pyproject.toml; a finding fails the run.
        # (An if, not &&: set -e is off inside a function called from a && list.)
        if [[ $# -eq 0 ]]; then lint; fi
        # Then it tests the artifact a kiosk installs: the wheel, non-editable, in a fresh venv
        # outside the sources (scripts/smoke_installed.sh, ~60 s).
        [[ $# -eq 0 ]] && bash scripts/smoke_installed.sh "$VENV"
        exec "$VENV/bin/python" -m pytest -q "$@" ;;
  smoke) exec bash scripts/smoke_installed.sh "$VENV" ;;
  lint) lint; exit 0 ;;
  audit) shift || true; exec "$VENV/bin/python" scripts/audit_deps.py "$@" ;;
  setup) exit 0 ;;
  *) echo "usage: bash bootstrap.sh demo|test|smoke|lint|setup|audit" >&2; exit 2 ;;
esac
