"""Prometheus metrics (GET /metrics, only to the direct peers in METRICS_ALLOW): counters the views and services bump
through the small functions here, and gauges read at scrape time. Under gunicorn every worker writes its own files in
PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py) and a scrape sums them; elsewhere the process's own registry answers.

Label values are bounded: route templates, methods, statuses, reason codes, venue scenarios, login kinds — never an
id, a name or a token."""
import functools
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import SQLAlchemyError

from app.errors import DomainError
from app.extensions import db, rate_limit_store_state
from app.http.proxies import networks, peer_in
from app.http.readiness import database_revision, head_revision
from app.models import Account, Venue

disable_created_metrics()  # the _created samples would double every series for nothing an alert uses
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGISTRY = CollectorRegistry()
REQUESTS = Counter("xinyi_http_requests", "Requests answered, by route template, method and status.",
                   ["endpoint", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("xinyi_http_request_duration_seconds", "Time to answer, by route template and method.",
                    ["endpoint", "method"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
VERIFICATIONS = Counter("xinyi_scan_verifications", "Codes verified at counters, by reason (ok when valid) and the "
                        "venue's scenario.", ["reason", "scenario"], registry=REGISTRY)
REDEMPTIONS = Counter("xinyi_scan_redemptions", "Redemptions asked for at counters, by outcome (redeemed, replayed, "
                      "refused), reason and the venue's scenario.", ["outcome", "reason", "scenario"],
                      registry=REGISTRY)
OFFLINE_UPLOADS = Counter("xinyi_offline_uploads", "Uploads of offline decisions.", registry=REGISTRY)
OFFLINE_ITEMS = Counter("xinyi_offline_items", "Offline decisions uploaded, by outcome (duplicate_offline: a code "
                        "redeemed at two counters).", ["outcome"], registry=REGISTRY)
LOGINS = Counter("xinyi_logins", "Logins by kind (citizen, staff, admin) and outcome (succeeded, refused, locked).",
                 ["kind", "outcome"], registry=REGISTRY)
EVIDENCE_BYTES = Counter("xinyi_evidence_bytes_written", "Bytes of evidence files written.", registry=REGISTRY)
SCENARIO_SECONDS = 300  # how long a staff member's venue scenario is remembered for the labels
_scenarios: dict[int, tuple[str, float]] = {}
blp = Blueprint("metrics", __name__)


def register(app: Flask) -> None:
    """Time and count every request (timed from the request log's start: app.http.request_log); serve /metrics."""
    app.after_request(_count)
    app.register_blueprint(blp)


def _count(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if "request_started" in g:
        LATENCY.labels(endpoint, request.method).observe(time.perf_counter() - g.request_started)
    return response


def scenario_of(staff_id: int) -> str:
    """The scenario of the staff member's venue, remembered a few minutes so a scan costs no extra query."""
    now = time.monotonic()
    known = _scenarios.get(staff_id)
    if known is None or known[1] < now:
        scenario = db.session.scalar(sa.select(Venue.scenario).join(Account, Account.venue_id == Venue.id)
                                     .where(Account.id == staff_id))
        known = _scenarios[staff_id] = (scenario or "none", now + SCENARIO_SECONDS)
    return known[0]


def verified(staff_id: int, reason: str | None) -> None:
    VERIFICATIONS.labels(reason or "ok", scenario_of(staff_id)).inc()


@contextmanager
def redemption_counted(staff_id: int) -> Iterator[list[bool]]:
    """Count the redemption asked for in the block: refused by its error's code, else redeemed or replayed (the
    block appends whether it was a replay)."""
    replayed: list[bool] = []
    try:
        yield replayed
    except DomainError as refused:
        REDEMPTIONS.labels("refused", refused.code, scenario_of(staff_id)).inc()
        raise
    outcome = "replayed" if replayed and replayed[0] else "redeemed"
    REDEMPTIONS.labels(outcome, "ok", scenario_of(staff_id)).inc()


def offline_uploaded(outcomes: list[tuple[str, str]]) -> None:
    OFFLINE_UPLOADS.inc()
    for _, outcome in outcomes:
        OFFLINE_ITEMS.labels(outcome).inc()


@contextmanager
def login_counted(kind: str) -> Iterator[None]:
    """Count the login attempted in the block: succeeded, locked (account_locked) or refused."""
    try:
        yield
    except DomainError as refused:
        LOGINS.labels(kind, "locked" if refused.code == "account_locked" else "refused").inc()
        raise
    LOGINS.labels(kind, "succeeded").inc()


def evidence_written(size: int) -> None:
    EVIDENCE_BYTES.inc(size)


@functools.cache
def build() -> tuple[str, str]:
    """This checkout's version (git describe) and commit, "unknown" where there is no git."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5,
                                  check=True).stdout.strip() or "unknown"
        except (OSError, subprocess.SubprocessError):
            return "unknown"
    return git("describe", "--tags", "--always"), git("rev-parse", "HEAD")


class ScrapeTime:
    """Gauges read when scraped, in the process that answers the scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        version, commit = build()
        info = GaugeMetricFamily("xinyi_build_info", "The running version and commit.", labels=["version", "commit"])
        info.add_metric([version, commit], 1)
        yield info
        state = rate_limit_store_state()
        store = GaugeMetricFamily("xinyi_rate_limit_store_state", "1 for the state this process counts rate limits "
                                  "in: up (the shared store) or fallback (its own memory).", labels=["state"])
        for name in ("up", "fallback"):
            store.add_metric([name], 1 if state == name else 0)
        yield store
        pool = db.engine.pool
        if hasattr(pool, "checkedout"):
            yield GaugeMetricFamily("xinyi_db_pool_checked_out", "Database connections in use in this process.",
                                    value=pool.checkedout())
        try:
            revision = database_revision()
        except SQLAlchemyError:
            revision = "unreachable"
        schema = GaugeMetricFamily("xinyi_schema_info", "The database's schema revision; at_head says whether it is "
                                   "the migrations' head.", labels=["revision", "at_head"])
        schema.add_metric([revision or "none", str(revision == head_revision()).lower()], 1)
        yield schema


@blp.route("/metrics")
def metrics():
    """The Prometheus text format, to the direct peers METRICS_ALLOW names (never a forwarded address); 404 else."""
    environ = request.environ
    peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", environ.get("REMOTE_ADDR"))
    if not peer_in(peer, networks(current_app.config["METRICS_ALLOW"])):
        abort(404)
    registry = CollectorRegistry()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(ScrapeTime())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
