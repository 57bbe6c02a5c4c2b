#!/usr/bin/env bash
# Everything diemcau needs on a fresh Debian 12 machine, idempotent: Debian packages, the mediasoup worker
# built here (no download), npm packages, the TypeScript and Vue builds. A second run with nothing to do
# takes a few seconds. Used by `npm start`, `npm test` and .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quiet=0; [ "${1:-}" = "--quiet-if-done" ] && quiet=1
did=0
say() { printf '[setup] %s\n' "$*"; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages. meson must come from bookworm-backports (mediasoup wants >= 1.1).
apt_pkgs=(ninja-build pkg-config g++ make python3 patch libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev
  libflatbuffers-dev flatbuffers-compiler ffmpeg chromium socat libusb-1.0-0 sqlite3 curl ca-certificates systemd)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
meson_ok=0
if command -v meson >/dev/null && [ "$(printf '%s\n1.1.0\n' "$(meson --version)" | sort -V | head -1)" = 1.1.0 ]; then meson_ok=1; fi
if [ ${#missing[@]} -gt 0 ] || [ $meson_ok = 0 ]; then
  did=1
  say "installing Debian packages: ${missing[*]:-} $([ $meson_ok = 0 ] && echo 'meson (bookworm-backports)')"
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | sudo_ tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
  sudo_ apt-get update -q
  export DEBIAN_FRONTEND=noninteractive
  [ $meson_ok = 0 ] && sudo_ apt-get install -y -q -t bookworm-backports meson
  [ ${#missing[@]} -gt 0 ] && sudo_ apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. The mediasoup worker, built from the npm tarball against Debian's libraries and cached by version.
worker_bin=$(bash scripts/build-mediasoup-worker.sh)
export MEDIASOUP_WORKER_BIN="$worker_bin"  # makes npm skip mediasoup's own download/build

# 3. npm packages, when package-lock.json changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.diemcau-lock 2>/dev/null)" != "$lock_hash" ]; then
  did=1
  say "npm install (the locked versions; better-sqlite3 compiles from source, about a minute)"
  # Not `npm ci`: the registry mirror reachable here lacks other platforms' optional packages (rollup's
  # android/darwin builds), so the lock cannot list them and `npm ci` refuses it as out of sync.
  # `npm install` with the lock installs the same versions and leaves the lock as it is.
  npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.diemcau-lock
fi
# mediasoup looks for its worker here when MEDIASOUP_WORKER_BIN is not set (systemd, npx diemcau).
dest=node_modules/mediasoup/worker/out/Release/mediasoup-worker
if ! cmp -s "$worker_bin" "$dest"; then
  did=1
  mkdir -p "$(dirname "$dest")" && cp "$worker_bin" "$dest.tmp" && mv "$dest.tmp" "$dest"
  say "mediasoup worker installed at $dest"
fi

# 4. Builds, when a source is newer than the last build.
stale() { [ ! -e "$1" ] || [ -n "$(find "${@:2}" -newer "$1" -type f -print -quit 2>/dev/null)" ]; }
if stale dist/.server-stamp appliance central media drivers bench tsconfig.json package-lock.json; then
  did=1
  say "compiling TypeScript (tsc)"
  npx tsc -p tsconfig.json
  chmod +x dist/appliance/cli.js
  touch dist/.server-stamp
fi
if stale dist/ui/.ui-stamp control-ui appliance/ws-protocol.ts appliance/roles.ts package-lock.json; then
  did=1
  say "building the Vue apps (vite)"
  npx vite build --config control-ui/vite.config.ts --logLevel warn
  touch dist/ui/.ui-stamp
fi

if [ $did = 0 ] && [ $quiet = 1 ]; then say "up to date"; else say "done"; fi
