#!/usr/bin/env bash
# The main job of the README: installs missing system packages, builds in release mode and runs
# an experiment (default: the most complete one that exists, `memory`), e.g.
#   Scripts/repro.sh                   # repro memory
#   Scripts/repro.sh memory --profile smoke --out /tmp/r
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
[ $# -gt 0 ] || set -- memory
exec swift run -c release repro "$@"
