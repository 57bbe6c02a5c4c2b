#!/usr/bin/env bash
# Builds mediasoup's C++ worker from the npm tarball against Debian's libraries, with no download.
# Why: mediasoup's own install fetches a prebuilt binary or pip/meson wraps, none of which is reachable.
# Facts and versions: shared/reference/mediasoup-offline-build.md. Prints the binary's path on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${DIEMCAU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/diemcau}
log() { printf '[mediasoup-worker] %s\n' "$*" >&2; }

version=$(node -p "require('$root/package.json').dependencies.mediasoup.replace(/^[^0-9]*/, '')")
libs=$(dpkg-query -W -f='${Package}=${Version} ' libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler 2>/dev/null || true)
recipe=$(cd "$here/mediasoup" && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-16)
key=$(printf '%s %s %s' "$version" "$libs" "$recipe" | sha256sum | cut -c1-16)
out="$cache/mediasoup-worker/$version-$key"
bin="$out/mediasoup-worker"

if [ -x "$bin" ]; then
  log "cached: $bin"
  echo "$bin"; exit 0
fi

log "building mediasoup $version worker (about 3 minutes on 2 cores)"
work="$cache/build/mediasoup-$version-$key"
rm -rf "$work"; mkdir -p "$work"
( cd "$work" && npm pack --silent "mediasoup@$version" >/dev/null 2>&1 && tar xzf "mediasoup-$version.tgz" )
src="$work/package"
cp -r "$here/mediasoup/subprojects/." "$src/worker/subprojects/"
( cd "$src" && patch -p1 --forward < "$here/mediasoup/dtls-bio-callback.patch" >&2 )
cd "$src/worker"
log "meson setup"
meson setup build --buildtype=release -Db_ndebug=true --wrap-mode=nodownload -Dms_disable_liburing=true >"$work/meson.log" 2>&1 \
  || { tail -40 "$work/meson.log" >&2; exit 1; }
log "generating FlatBuffers headers"
ninja -C build fbs/FBS >"$work/ninja.log" 2>&1 || { tail -40 "$work/ninja.log" >&2; exit 1; }
log "compiling (progress every 25 steps)"
ninja -C build mediasoup-worker 2>&1 | tee -a "$work/ninja.log" | while IFS= read -r line; do
  # ninja prints "[n/total] …" per step; show every 25th so a long build is visibly alive.
  if [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]] && { (( BASH_REMATCH[1] % 25 == 0 )) || [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; }; then
    log "step ${BASH_REMATCH[1]} of ${BASH_REMATCH[2]}"
  fi
done
[ "${PIPESTATUS[0]}" = 0 ] || { tail -40 "$work/ninja.log" >&2; exit 1; }
mkdir -p "$out"
cp build/mediasoup-worker "$bin.tmp" && mv "$bin.tmp" "$bin"
rm -rf "$work"
log "built: $bin"
echo "$bin"
