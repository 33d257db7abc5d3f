#!/usr/bin/env bash
# The test command of the README: installs missing system packages, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --build-tests -Xswiftc -warnings-as-errors 2>&1 | tail -n 3
swift test --skip-build "$@"
