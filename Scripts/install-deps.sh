#!/usr/bin/env bash
# Installs the Debian packages the suite needs, only when something is missing.
#   libhdf5-dev hdf5-tools   results files (HDF5) and h5dump
#   libcairo2-dev            figures (PNG, PDF) with fonts-dejavu-core as the TrueType font
#   libpng-dev libjpeg-dev libturbojpeg0-dev   PNG and JPEG images of the dataset loaders
#   zlib1g-dev               gzip (IDX .gz files); pkg-config for SwiftPM system libraries
#   libopenblas-dev          GEMM for training
#   valgrind                 instruction counts of the generated code (callgrind, repro engine)
# Optional: python3-h5py is only used by CI as an independent reader of the results files.
# Extra packages named as arguments are installed too (Scripts/bench-train.sh --pytorch passes
# python3-torch, the side-by-side PyTorch of `repro bench train --pytorch`).
set -euo pipefail

packages=(pkg-config libhdf5-dev hdf5-tools libpng-dev libjpeg-dev libturbojpeg0-dev zlib1g-dev libcairo2-dev fonts-dejavu-core libopenblas-dev valgrind "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
