#!/usr/bin/env bash
# Build the wheel from this checkout, install it NON-editable into a fresh venv outside the
# source tree, and run scripts/smoke_installed.py there from an empty directory.
#   bash scripts/smoke_installed.sh [DEV_VENV]      (bootstrap.sh test runs it; ~60 s)
# The fresh venv gets the pinned runtime dependencies from the dev venv (a .pth line, not a
# download): the wheel under test, its package data and entry point are its own.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV_VENV="${1:-$SRC/.venv}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pos-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$DEV_VENV/bin/pip" wheel -q --disable-pip-version-check --no-deps -w "$WORK/dist" "$SRC" 2>&1 \
    | grep -v "^WARNING: Location" || true
WHEEL=$(ls "$WORK"/dist/pos_terminal-*.whl)
python_bin="$DEV_VENV/bin/python"
"$python_bin" -m venv --without-pip "$WORK/venv"
DEPS=$("$python_bin" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
SITE=$("$WORK/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$DEV_VENV/bin/pip" --python "$WORK/venv/bin/python" install -q --disable-pip-version-check --no-deps \
    --no-index "$WHEEL" 2>&1 | grep -v "^WARNING: Location" || true
echo "$DEPS" > "$SITE/zz_pos_terminal_runtime_deps.pth"    # after the venv's own site-packages
mkdir -p "$WORK/empty"
cp "$SRC/scripts/smoke_installed.py" "$WORK/smoke_installed.py"
cd "$WORK/empty"
env -u PYTHONPATH "$WORK/venv/bin/python" -I "$WORK/smoke_installed.py"
