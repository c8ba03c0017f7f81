#!/usr/bin/env bash
# One command for a demo on a fresh machine: set up, migrate the embedded SQLite database, load the demo data once,
# start a local Redis for the rate limits every gunicorn worker shares, and serve under gunicorn.
# Environment: BIND (default 127.0.0.1:8000), APP_ENV, DATABASE_URL, RATELIMIT_STORAGE_URI and the secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh run

export APP_ENV="${APP_ENV:-development}" DEV_LOGIN="${DEV_LOGIN:-1}" BIND="${BIND:-127.0.0.1:8000}"
mkdir -p instance
flask=(.venv/bin/flask --app wsgi)
"${flask[@]}" db upgrade
seed_output="$(mktemp)"
if "${flask[@]}" seed-demo > "$seed_output" 2>&1; then
  mv "$seed_output" instance/demo-logins.txt
  cat instance/demo-logins.txt
elif grep -q already_seeded "$seed_output"; then
  rm -f "$seed_output"
  echo "Demo data already loaded; the logins and demo identities are in instance/demo-logins.txt"
else
  cat "$seed_output" >&2; rm -f "$seed_output"; exit 1
fi

# Rate limits count across all workers: a Redis of this machine's own, on a Unix socket in instance/, unless the
# environment names one already.
if [ -z "${RATELIMIT_STORAGE_URI:-}" ]; then
  socket="$PWD/instance/redis.sock"
  redis-server --port 0 --unixsocket "$socket" --unixsocketperm 700 --save "" --appendonly no \
    --dir "$PWD/instance" --logfile "$PWD/instance/redis.log" &
  redis_pid=$!
  trap 'kill "$redis_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
  export RATELIMIT_STORAGE_URI="redis+unix://$socket"
fi

echo
echo "信易+ 守信激励 is starting at http://${BIND}/  (API documentation: http://${BIND}/api/v1/docs)"
.venv/bin/gunicorn -c gunicorn.conf.py "wsgi:create_app()"
