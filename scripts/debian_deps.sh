#!/usr/bin/env bash
# Installs the Debian packages the product and its tests need, when run as root;
# otherwise prints the command to run. Packages already present are skipped.
set -euo pipefail
packages=(gettext chromium fonts-wqy-microhei)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: ${missing[*]}"
  echo "Install them with: sudo apt-get install -y ${missing[*]}"
  # gettext is needed to compile translations; the rest only by browser tests.
  dpkg-query -W -f='${Status}' gettext 2>/dev/null | grep -q "install ok installed" || exit 1
fi
