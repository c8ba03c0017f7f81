"""Sum a py-spy profile (collapsed stacks, `bench_http --profile FILE`) by layer: each sample goes to the layer of its
innermost frame that names one, so "framework" is time spent in Flask's own code, not in the views it calls.

    .venv/bin/python -m bench.profile_layers /tmp/verify.txt
"""
import re
import sys
from collections import Counter
from pathlib import Path

# Innermost match wins; checked in this order for each frame.
LAYERS = [
    ("database driver (psycopg / sqlite3, the server's answer)", r"psycopg|sqlite3|libpq|execute \(sqlite"),
    ("SQLAlchemy (pool checkout/checkin, compiled statements)", r"sqlalchemy/"),
    ("app.db (prepared statements, the request's connection)", r"app/db/"),
    ("scan rules and codes (app.services, app.domain)", r"app/services/|app/domain/"),
    ("bearer check, guards, logs, metrics (app.http, app.metrics, app.logs)",
     r"app/http/|app/metrics|app/logs|app/__init__"),
    ("views and answers (app.api)", r"app/api/"),
    ("request schemas (marshmallow, flask-smorest, webargs)", r"marshmallow/|flask_smorest/|webargs/"),
    ("rate limits (flask-limiter, limits)", r"flask_limiter/|limits/"),
    ("Flask and Werkzeug (routing, request, response, JSON)", r"flask/|werkzeug/|json/"),
    ("gunicorn (accept, parse, write the answer)", r"gunicorn/|socket|selectors"),
]


def layer_of(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, pattern in LAYERS:
            if re.search(pattern, frame):
                return name
    return "other (interpreter, idle)"


def main(path: str) -> None:
    counts: Counter = Counter()
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, samples = line.rpartition(" ")
        if stack and samples.isdigit():
            counts[layer_of(stack)] += int(samples)
    total = sum(counts.values()) or 1
    for name, samples in counts.most_common():
        print(f"{samples / total:7.1%}  {samples:>7}  {name}")
    print(f"{'':7}  {total:>7}  samples")


if __name__ == "__main__":
    main(sys.argv[1])
