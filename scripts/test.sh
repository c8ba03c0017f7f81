#!/usr/bin/env bash
# One command for the whole suite on a fresh machine: set up, then run the tests on SQLite and again on a
# throwaway PostgreSQL server started here (as the unprivileged postgres user, loopback only) and removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test

pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_dir="$(mktemp -d /tmp/xinyi-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
pg_port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
stop_pg() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_pg EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U xinyi --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U xinyi xinyi_test

echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== test suite on SQLite"
.venv/bin/python -m pytest -n auto --dist loadfile --cov --cov-report= "$@"
echo "== test suite on PostgreSQL (127.0.0.1:$pg_port)"
TEST_DATABASE_URL="postgresql+psycopg://xinyi@127.0.0.1:$pg_port/xinyi_test" \
  .venv/bin/python -m pytest -n auto --dist loadfile --cov --cov-append --cov-report= -m "not nodb" "$@"
echo "== coverage of both passes (floor: fail_under in .coveragerc)"
.venv/bin/coverage report
