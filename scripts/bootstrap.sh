#!/usr/bin/env bash
# Idempotent set-up of a fresh machine: Debian packages, the virtualenv and the pinned Python packages.
# Usage: scripts/bootstrap.sh [run|test]   ("test" adds PostgreSQL, Chromium, Xvfb, Node and the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

packages=(libzbar0 python3-venv redis-server)
if [ "$mode" = test ]; then
  packages+=(postgresql xvfb xauth x11-apps fonts-wqy-zenhei chromium nginx systemd)
  # The mini-program's jest tests: Node and npm from Debian, unless a Node with its npm is already there.
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
requirements=(requirements.txt)
[ "$mode" = test ] && requirements+=(requirements-dev.txt)
stamp=".venv/.installed-$mode"
digest="$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "${requirements[@]/#/-r}"
  echo "$digest" > "$stamp"
fi

# The mini-program's test tools, pinned by miniprogram/package-lock.json (node_modules is not in git).
if [ "$mode" = test ]; then
  npm_stamp="miniprogram/node_modules/.installed"
  npm_digest="$(sha256sum miniprogram/package-lock.json | cut -d' ' -f1)"
  if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_digest" ]; then
    (cd miniprogram && npm ci --no-audit --no-fund --loglevel=error)
    echo "$npm_digest" > "$npm_stamp"
  fi
fi
