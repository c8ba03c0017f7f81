#!/usr/bin/env bash
# One command for a demo on a fresh machine: set up, migrate the embedded SQLite database, load the demo data once,
# and serve under gunicorn.  Environment: BIND (default 127.0.0.1:8000), APP_ENV, DATABASE_URL and the secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run

export APP_ENV="${APP_ENV:-development}" DEV_LOGIN="${DEV_LOGIN:-1}" BIND="${BIND:-127.0.0.1:8000}"
mkdir -p instance
flask=(.venv/bin/flask --app wsgi)
"${flask[@]}" db upgrade
if "${flask[@]}" seed-demo > instance/demo-logins.txt 2>&1; then
  cat instance/demo-logins.txt
elif grep -q already_seeded instance/demo-logins.txt; then
  echo "Demo data already loaded; its logins are printed in instance/demo-logins.txt the first time:"
  echo "  admin / Admin@2026, counter staff staff_bus … staff_bank / Staff@2026"
else
  cat instance/demo-logins.txt >&2; exit 1
fi
echo
echo "信易+ 守信激励 is starting at http://${BIND}/  (API description: http://${BIND}/api/v1/openapi.json)"
exec .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app
