#!/usr/bin/env bash
# Installs the real consumers the tests judge the output with: ffprobe and
# ffmpeg's ebur128 (Debian's ffmpeg) and gPodder's gpo client. The product
# itself needs none of them.
set -euo pipefail
packages=()
command -v ffprobe >/dev/null 2>&1 || packages+=(ffmpeg)
command -v gpo >/dev/null 2>&1 || packages+=(gpodder)
if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "tests need: ${packages[*]} (Debian/Ubuntu: sudo apt-get install ${packages[*]}); those tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
