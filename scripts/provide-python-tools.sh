#!/usr/bin/env bash
# Provides the pinned Python dev tools of test/python/requirements.txt (ruff, pytest) for the
# helpers in a git-ignored virtual environment, .tools/py, and prints its bin folder on stdout.
# Installs again only when the pins change. Needs python3 with venv (Debian: python3-venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.tools/py
pins=test/python/requirements.txt
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$pins" "$venv/pins.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$pins" >&2
  cp "$pins" "$venv/pins.txt"
fi
echo "$(pwd)/$venv/bin"
