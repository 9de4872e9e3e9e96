#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real: a PostgreSQL server, Chromium,
# nginx (the README's reverse-proxy configuration, tests/test_proxy.py) and LibreOffice Writer
# (tests/test_report.py opens report.docx with it).
# Only as root with apt-get (CI, a fresh Debian box); elsewhere say what is missing and go on:
# the tests that need them skip with a message (and fail under CI=true).
set -euo pipefail

need=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if ! command -v initdb >/dev/null 2>&1 && [ -z "$pg_bin" ]; then need+=(postgresql); fi
if ! command -v chromium >/dev/null 2>&1; then need+=(chromium); fi
# Debian puts nginx in /usr/sbin, which a non-root PATH may not have
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then need+=(nginx); fi
# cairo renders the PRISMA diagram to PNG (cairosvg); DejaVu fonts draw its text
if ! ldconfig -p 2>/dev/null | grep 'libcairo\.so\.2' >/dev/null; then need+=(libcairo2); fi
if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then need+=(fonts-dejavu-core); fi
# LibreOffice Writer (no GUI) opens report.docx and converts it to PDF, as a reader's would
if ! command -v soffice >/dev/null 2>&1; then need+=(libreoffice-writer-nogui); fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [[ " ${need[*]} " == *" nginx "* ]] && command -v service >/dev/null 2>&1; then
    # the package may start its own server on port 80; the tests run their own nginx
    service nginx stop >/dev/null 2>&1 || true
  fi
else
  echo "Not installed: ${need[*]}. Install them (e.g. sudo apt-get install ${need[*]})" \
       "to run the PostgreSQL, browser and proxy tests; they skip without them."
fi
