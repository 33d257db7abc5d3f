#!/usr/bin/env bash
# Formats every tracked Swift file in place, then lints strictly (STYLE.md B8).
#   Scripts/format.sh          format, then lint
#   Scripts/format.sh --check  lint only (fails on any finding)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.swift')
if [ "${1:-}" != "--check" ]; then
  swift format format --parallel --in-place "${files[@]}"
fi
swift format lint --strict --parallel "${files[@]}"
