#!/usr/bin/env bash
# Run the whole test suite, on PostgreSQL then on SQLite, against a real Redis, with browser
# tests in Debian's Chromium. Installs what is missing and starts PostgreSQL and Redis if down.
set -uo pipefail
cd "$(dirname "$0")/.."
SOURIRE_DEV=1 bash scripts/setup.sh || exit 1
. scripts/services.sh || exit 1

export PYTHONDONTWRITEBYTECODE=1
PG_URL=${TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/sourire_test}
status=0
echo "== PostgreSQL =="
TEST_DATABASE_URL=$PG_URL .venv/bin/python -m pytest "$@" || status=1
echo "== SQLite =="
TEST_DATABASE_URL= .venv/bin/python -m pytest "$@" || status=1
exit $status
