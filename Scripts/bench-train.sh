#!/usr/bin/env bash
# Launcher of `repro bench train` (and, with --train, of `repro train`): chooses OpenBLAS's
# kernels and thread behaviour *before* the process starts, which is the only time OpenBLAS reads
# them (reference/native-deps.md §4). Benchmarks only: tests and CI never set these.
#   Scripts/bench-train.sh                          # repro bench train --profile default
#   Scripts/bench-train.sh --profile smoke
#   Scripts/bench-train.sh --pytorch                # + PyTorch side by side (installs python3-torch)
#   Scripts/bench-train.sh --train --model mcunet-in3 --epochs 3   # repro train …
# Every variable already set in the environment is kept.
#  - OPENBLAS_CORETYPE: OpenBLAS 0.3.21 does not know some recent Xeons (CPU model 207) and falls
#    back to its SSE3 "Prescott" kernels, 4–6× slower; AVX-512 → SkylakeX, Intel AVX2 → Haswell.
#    AMD CPUs are detected correctly (Zen) and are left alone.
#  - OPENBLAS_THREAD_TIMEOUT=4: OpenBLAS's idle workers otherwise spin (sched_yield) for ~2^28
#    cycles after each GEMM, competing with the depthwise / batch-norm loops that run on the
#    same two cores between GEMMs.
set -euo pipefail
cd "$(dirname "$0")/.."
command=(bench train)
if [ "${1:-}" = "--train" ]; then
  command=(train)
  shift
fi
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
vendor=$(grep -m1 '^vendor_id' /proc/cpuinfo || true)
if [ -z "${OPENBLAS_CORETYPE+set}" ]; then
  if [[ " $flags " == *" avx512f "* ]]; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [[ " $flags " == *" avx2 "* && "$vendor" == *GenuineIntel* ]]; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<auto>} OPENBLAS_THREAD_TIMEOUT=$OPENBLAS_THREAD_TIMEOUT" >&2
extra=()
for argument in "$@"; do
  [ "$argument" = "--pytorch" ] && extra=(python3-torch)
done
Scripts/install-deps.sh "${extra[@]}"
exec swift run -c release repro "${command[@]}" "$@"
