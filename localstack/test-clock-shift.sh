#!/usr/bin/env bash
# `npm run test:clock-shift [-- DAYS [jest args]]`: the whole suite with the clock
# of jest, the services it starts and PostgreSQL's now() moved DAYS (default 400)
# ahead, to prove no test depends on today's date. Uses ports of its own (Redis
# 6391, PostgreSQL 5433, SQS 4567) and a state directory of its own
# (.local/clock-shift), so it runs beside `npm start` or `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
days="${1:-400}"
shift || true
if ! command -v faketime >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y faketime >/dev/null || { apt-get update >/dev/null && apt-get install -y faketime >/dev/null; }
  else
    echo "test:clock-shift needs libfaketime: install the Debian package 'faketime' (sudo apt-get install faketime)" >&2
    exit 1
  fi
fi
state="$PWD/.local/clock-shift"
mkdir -p "$state"
# Redis aborts under libfaketime (its allocator reads the clock before the
# library is initialised), so every redis-server of the run, ours and those tests
# start themselves, runs on the real clock through a wrapper first on PATH: Redis
# keeps only relative TTLs, which no date changes.
wrappers="$state/bin"
mkdir -p "$wrappers"
real_redis="$(command -v redis-server)"
printf '#!/bin/sh\nexec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_DONT_FAKE_MONOTONIC %s "$@"\n' "$real_redis" > "$wrappers/redis-server"
chmod +x "$wrappers/redis-server"
"$wrappers/redis-server" --port 6391 --save '' --appendonly no --dir "$state" --daemonize yes --logfile "$state/redis.log"
trap 'redis-cli -p 6391 shutdown nosave >/dev/null 2>&1 || true' EXIT
PATH="$wrappers:$PATH" FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "+${days}d" env \
  TEST_REDIS_URL=redis://127.0.0.1:6391/0 \
  DATABASE_URL=postgres://mdc:mdc@127.0.0.1:5433/mdc \
  AWS_ENDPOINT_URL=http://127.0.0.1:4567 \
  MDC_STATE_DIR="$state" \
  npm test -- "$@"
