#!/usr/bin/env bash
# The load runner with as many open files as this machine allows: every socket is a file, and a
# process starts with a soft limit (often 1,024) below its hard limit. Socket workers and, under
# `npm run bench`, the app instances inherit it.
#   load/run.sh <scenario> [options]      (load/README.md)
#   load/run.sh --bench [options]         (what `npm run bench` runs)
set -euo pipefail
cd "$(dirname "$0")/.."
hard=$(ulimit -Hn)
if [ "$hard" = "unlimited" ]; then ulimit -n 1048576 || true; else ulimit -n "$hard"; fi
if [ "${1:-}" = "--bench" ]; then
  shift
  exec node --import tsx --max-old-space-size=4096 load/bench/bench.ts "$@"
fi
exec node --import tsx --max-old-space-size=4096 load/cli.ts "$@"
