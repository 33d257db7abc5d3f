#!/usr/bin/env bash
# Prepares the bundled proxy datasets (DESIGN.md §1 default/smoke profiles) in the data cache,
# once. Nothing is downloaded at experiment run time; this script is the only step that fetches.
#
#   Scripts/prepare-data.sh [smoke|default]      (default: default)
#
# Cache folder: $MCU_DATA_DIR, else ~/.cache/mcunet-repro. What it does:
#   1. apt: dataset-fashion-mnist (real Fashion-MNIST, the ImageNet proxy), espeak-ng, sox and
#      flite (the Speech Commands proxy), unzip, libturbojpeg0-dev (JPEG in the loaders);
#      only the missing ones are installed.
#   2. PyPI: `pip download --no-deps` of two pinned wheels (checked by SHA-256), then unzip only
#      their data files into <cache>/sources: scikit-image's lfw_subset.npy (100 face / 100
#      non-face crops) and the photos of skimage/data and sklearn/datasets/images (the VWW
#      proxy's backgrounds). Python is not needed afterwards.
#   3. Swift: `repro prepare-data --profile P --cache DIR` writes the proxies in their real
#      formats (class folders of PNG, person/non_person JPEG folders, Speech Commands v2 WAV
#      layout) with progress bars; complete proxies are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-default}"
case "$profile" in
  smoke | default) ;;
  *)
    echo "usage: $0 [smoke|default]  (the full profile reads the real datasets via --data)" >&2
    exit 2
    ;;
esac
cache="${MCU_DATA_DIR:-$HOME/.cache/mcunet-repro}"
sources="$cache/sources"

# Pinned wheels: manylinux_2_28 x86_64 for CPython 3.11, so the file (and its hash) is the same
# whatever Python this machine has; only data files are taken from them.
skimage_version="0.26.0"
skimage_sha256="74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af"
sklearn_version="1.9.1"
sklearn_sha256="52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df"

# MARK: 1. Debian packages
packages=(dataset-fashion-mnist espeak-ng sox flite unzip libturbojpeg0-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
pip_cmd=()
if command -v pip3 >/dev/null; then pip_cmd=(pip3)
elif command -v pip >/dev/null; then pip_cmd=(pip)
elif command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
  pip_cmd=(python3 -m pip)
else
  missing+=(python3-pip)
  pip_cmd=(python3 -m pip)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi

# MARK: 2. Wheels → <cache>/sources
mkdir -p "$sources/wheels" "$sources/photos"
fetch_wheel() {  # name version sha256 glob
  local wheel
  wheel=$(ls "$sources/wheels"/$4 2>/dev/null | head -n 1 || true)
  if [ -z "$wheel" ] || ! echo "$3  $wheel" | sha256sum -c --status; then
    echo "downloading $1==$2 (data files only are used)" >&2
    "${pip_cmd[@]}" download --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
      --python-version 3.11 --implementation cp -d "$sources/wheels" "$1==$2" >&2
    wheel=$(ls "$sources/wheels"/$4 | head -n 1)
    echo "$3  $wheel" | sha256sum -c --status \
      || { echo "SHA-256 mismatch for $wheel; delete it and retry" >&2; exit 1; }
  fi
  echo "$wheel"
}
skimage_wheel=$(fetch_wheel scikit-image "$skimage_version" "$skimage_sha256" \
  "scikit_image-$skimage_version-*.whl")
sklearn_wheel=$(fetch_wheel scikit-learn "$sklearn_version" "$sklearn_sha256" \
  "scikit_learn-$sklearn_version-*.whl")
unzip -o -j -q "$skimage_wheel" 'skimage/data/lfw_subset.npy' -d "$sources"
unzip -o -j -q "$skimage_wheel" 'skimage/data/*.png' 'skimage/data/*.jpg' -d "$sources/photos"
unzip -o -j -q "$sklearn_wheel" 'sklearn/datasets/images/*.jpg' -d "$sources/photos"
echo "sources ready in $sources ($(ls "$sources/photos" | wc -l) photos, lfw_subset.npy)" >&2

# MARK: 3. Swift preparation
if ! grep -rqs '"prepare-data"' Sources/repro; then
  echo "error: this checkout's repro has no prepare-data command yet; the Swift step calls" >&2
  echo "Datasets.prepareProxies(cacheDirectory: \"$cache\", profile: \"$profile\", ...)." >&2
  exit 3
fi
swift run -c release repro prepare-data --profile "$profile" --cache "$cache"
