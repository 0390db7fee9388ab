#!/usr/bin/env bash
# Install what Sourire needs and run it with a demo practice on its embedded defaults:
# an SQLite file under instance/, jobs run in-process unless REDIS_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export FLASK_APP=wsgi.py
export SOURIRE_ENV=${SOURIRE_ENV:-development}
PORT=${PORT:-5000}
export BASE_URL=${BASE_URL:-http://127.0.0.1:$PORT}
mkdir -p instance
.venv/bin/flask db upgrade
.venv/bin/flask demo load
echo "Open $BASE_URL (Ctrl+C to stop)."
exec .venv/bin/flask run --host 127.0.0.1 --port "$PORT"
