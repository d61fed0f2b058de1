#!/usr/bin/env bash
# Set-up for the browser tests (tests/browser): Debian's Chromium and the playwright
# Python package that drives it. Installs whichever is missing.
#   usage: .ci/browser-deps.sh [PYTHON]   (PYTHON: the project's interpreter, default .venv/bin/python)
# The browser tests skip, saying why, only when Chromium is still missing afterwards;
# so this script warns instead of failing when it cannot install Chromium.
set -u
PYTHON=${1:-.venv/bin/python}
cd "$(dirname "$0")/.."

# playwright (pinned in pyproject.toml's [test] extra; `make venv` normally installs it).
if ! "$PYTHON" -c "import playwright.sync_api" >/dev/null 2>&1; then
  pin=$(grep -oE '"playwright==[^"]+"' pyproject.toml | tr -d '"')
  echo "Installing ${pin:-playwright} for the browser tests..."
  "$PYTHON" -m pip install --quiet "${pin:-playwright}" || { echo "ERROR: could not install ${pin:-playwright}"; exit 1; }
fi

# Chromium from Debian (playwright's own browser download is not used: it needs the internet at test time).
if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "WARNING: could not install chromium; the browser tests will skip."
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests (sudo)..."
  (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "WARNING: could not install chromium; the browser tests will skip."
else
  echo "WARNING: chromium is missing and cannot be installed here (needs root or sudo, and apt-get); the browser tests will skip."
fi
exit 0
