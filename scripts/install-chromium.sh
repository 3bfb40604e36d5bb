#!/usr/bin/env bash
# scripts/install-chromium.sh — makes sure Debian's Chromium is on this machine for the browser
# tests (npm run test:browser). Installs the `chromium` package with apt-get only when
# /usr/bin/chromium is missing; never downloads a browser build of its own. Needs root (CI is).
# Set CHROMIUM to use another binary: then nothing is installed.
set -euo pipefail

if [ -n "${CHROMIUM:-}" ]; then
  [ -x "$CHROMIUM" ] || { echo "install-chromium: CHROMIUM=$CHROMIUM is not an executable file" >&2; exit 1; }
  exit 0
fi
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium: /usr/bin/chromium is missing and only root can apt-get install it;" >&2
  echo "  run 'sudo apt-get install chromium', or set CHROMIUM=/path/to/chrome" >&2
  exit 1
fi
echo "install-chromium: installing Debian's chromium (apt-get)..."
started=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "install-chromium: $(/usr/bin/chromium --version) installed in $(( $(date +%s) - started )) s"
