#!/usr/bin/env bash
# The main job of the README: installs missing system packages, builds in release mode and runs
# an experiment (default: the most complete one that exists, `deploy`: train on the Fashion-MNIST
# proxy, quantize, generate C, run the test set; the proxies are prepared first, once), e.g.
#   Scripts/repro.sh                   # Scripts/prepare-data.sh, then repro deploy
#   Scripts/repro.sh memory --profile smoke --out /tmp/r
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
if [ $# -eq 0 ]; then
  Scripts/prepare-data.sh default
  set -- deploy
fi
exec swift run -c release repro "$@"
