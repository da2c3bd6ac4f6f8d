#!/usr/bin/env bash
# Regenerates the single initial migration from the models. Only valid while no database
# outside development has been migrated (before the first release); afterwards add revisions.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f alembic/versions/0001_initial_schema.py
CRM_DATA_DIR="$tmp" .venv/bin/alembic revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
CRM_DATA_DIR="$tmp" .venv/bin/alembic upgrade head >/dev/null
CRM_DATA_DIR="$tmp" .venv/bin/alembic check
rm -rf "$tmp"
