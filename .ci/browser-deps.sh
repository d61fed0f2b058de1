#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing.
# The browser tests skip, saying why, only when this fails.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "WARNING: could not install chromium; the browser tests will skip."
else
  echo "WARNING: chromium is missing and cannot be installed here (needs root and apt-get); the browser tests will skip."
fi
exit 0
