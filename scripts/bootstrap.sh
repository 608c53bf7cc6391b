#!/usr/bin/env bash
# Installs what Pishraft needs on a Debian machine, once: system packages through apt
# (when missing), a virtualenv in .venv, the project with pinned versions.
# A second run only checks, so it is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages -------------------------------------------------------------------
pg_major() {
  local m
  m=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)
  if [ -z "$m" ]; then
    m=$(apt-cache policy postgresql 2>/dev/null | awk '/Candidate/ {print $2}' | sed -E 's/^([0-9]+).*/\1/' || true)
  fi
  echo "${m:-15}"
}

missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" = 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
}

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# PostgreSQL itself first: the PostGIS package must match its major version.
need_pkg postgresql
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed. Run: sudo apt-get update && sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  say "Installing PostgreSQL"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
missing=()
PG=$(pg_major)
need_pkg "postgresql-$PG-postgis-3"
need_pkg gdal-bin          # ogr2ogr/ogrinfo: the GDAL client tests and the ingest benchmark
need_pkg wrk               # HTTP load generator of the tile benchmark (bench/tiles.py)
need_pkg nginx             # the shared tile cache in front of Pishraft, measured by bench/tiles.py
need_pkg pgbouncer         # the pooler in transaction mode, run by tests/db/test_pooler.py
need_pkg chromium          # headless browser for map tests
need_pkg fonts-farsiweb    # Persian TrueType fonts (Nazli) served with the maps
need_pkg libpango-1.0-0    # WeasyPrint's text layout (Persian shaping, right to left) for PDF downloads
need_pkg libpangoft2-1.0-0
need_pkg util-linux        # runuser, to run PostgreSQL as 'postgres' when we are root
need_pkg pgbackrest        # continuous WAL archiving and point-in-time recovery (pishraft db backup/restore)
need_pkg python3-venv
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "Installing system packages: ${missing[*]}"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- virtualenv ------------------------------------------------------------------------
stamp="$VENV/.pishraft-installed"
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ]; then
  say "Creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "Installing Pishraft and its pinned dependencies into $VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -c constraints.txt -e ".[dev]"
  echo "$want" > "$stamp"
fi
