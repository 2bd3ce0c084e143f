#!/usr/bin/env bash
# Runs Redis's own Sentinel tests (tests/sentinel of the upstream suite, started by
# runtest-sentinel) against Nodis sentinels, or against another sentinel for comparison.
#
#   scripts/sentinel-suite.sh [runtest-sentinel options, e.g. --single 05-manual]
#
# SENTINEL: the command that plays src/redis-sentinel, run as `$SENTINEL <config file>
# --sentinel` (it must exec); default: node dist/cli.js of this project. For Redis's own
# count: SENTINEL=/tmp/redis72/src/redis-server.
# REDIS: the redis-server the tests start as primaries and replicas (default: the 7.2
# build at /tmp/redis72/src/redis-server if present, else redis-server on PATH).
# SUITE: an unpacked upstream suite (default /tmp/redis-suite); runtest-sentinel and
# tests/sentinel are taken from REDIS_REPO (a git directory of redis, tag 7.2.6) when missing.
# BASEPORT: sentinels use BASEPORT.., servers BASEPORT+300.. (default 37000).
# The suite is copied to a work folder under /tmp (never into this project).
set -u
SUITE=${SUITE:-/tmp/redis-suite}
REDIS_REPO=${REDIS_REPO:-/work/.mirror/redis+redis/repo}
BASEPORT=${BASEPORT:-37000}
SENTINEL=${SENTINEL:-"node $(pwd)/dist/cli.js"}
if [ -z "${REDIS:-}" ]; then
  if [ -x /tmp/redis72/src/redis-server ]; then REDIS=/tmp/redis72/src/redis-server; else REDIS=$(command -v redis-server); fi
fi
command -v tclsh >/dev/null || { echo "tclsh is needed: apt-get install tcl"; exit 2; }
work=/tmp/sentinel-suite-$(echo "$SENTINEL $REDIS" | md5sum | cut -c1-8)
rm -rf "$work"; mkdir -p "$work/src"
cp -r "$SUITE/tests" "$work/"
if [ ! -f "$SUITE/runtest-sentinel" ] || [ ! -d "$SUITE/tests/sentinel" ]; then
  git -C "$REDIS_REPO" archive 7.2.6 runtest-sentinel tests/sentinel tests/instances.tcl tests/helpers | tar x -C "$work"
else
  cp "$SUITE/runtest-sentinel" "$work/"
fi
sed -i "s/set ::sentinel_base_port 20000/set ::sentinel_base_port $BASEPORT/; s/set ::redis_base_port 30000/set ::redis_base_port $((BASEPORT + 300))/" "$work/tests/instances.tcl"
printf '#!/bin/sh\nexec %s "$@"\n' "$REDIS" > "$work/src/redis-server"
printf '#!/bin/sh\ncfg="$1"; shift\nexec %s "$cfg" --sentinel "$@"\n' "$SENTINEL" > "$work/src/redis-sentinel"
for t in redis-cli redis-benchmark; do command -v $t >/dev/null && ln -sf "$(command -v $t)" "$work/src/$t"; done
chmod +x "$work/src/"*
cd "$work" && ./runtest-sentinel "$@" | tee "$work/log.txt"
ok=$(grep -cE '^[0-9:]+> .*OK' "$work/log.txt"); all=$(grep -cE '^[0-9:]+> ' "$work/log.txt")
echo "TOTAL: $ok ok of $all run"
