"""gunicorn settings; every value can be overridden from the environment."""
import glob
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# The app writes one JSON line per request (app/http/request_log.py: route template, status, duration, size, client,
# actor kind, request id), so gunicorn's access log is off unless ACCESS_LOG names a file (or "-" for stdout).
accesslog = os.environ.get("ACCESS_LOG") or None
# Paths and status only: query strings could carry identifiers a client put there by mistake.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
# gunicorn's own lines in the app's format (LOG_FORMAT: json or text; app/logs.py), on stderr; the root logger gets
# the app's handler once the app is loaded (app.logs.configure_logging).
_log_format = os.environ.get("LOG_FORMAT", "json")
_access_handlers = {} if not accesslog else {"access": {"formatter": "lines", **(
    {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"} if accesslog == "-"
    else {"class": "logging.FileHandler", "filename": accesslog})}}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING", "handlers": ["lines"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["lines"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"] if accesslog else [], "propagate": False},
    },
    "handlers": {"lines": {"()": "app.logs.StderrHandler", "kind": _log_format}, **_access_handlers},
    "formatters": {"lines": {"()": "app.logs.formatter", "kind": _log_format}},
}
preload_app = True

# Above the app's own limits (app/http/guards.py: URLs of 4096 characters, 100 headers of 8190 bytes), so a request
# over those reaches the app and gets its JSON 414/431 instead of gunicorn's HTML page. Only a request line over
# 8190 bytes (gunicorn's ceiling), more than 200 headers or one over 16380 bytes still get gunicorn's own answer.
limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 16380

# X-Forwarded-Proto and the like are believed only from the reverse proxies the app believes (TRUSTED_PROXIES, at
# PROXY_ADDRESSES); with none in front, from nobody — not even a client on this machine.
forwarded_allow_ips = (os.environ.get("PROXY_ADDRESSES", "127.0.0.1")
                       if int(os.environ.get("TRUSTED_PROXIES", "0")) > 0 else "")

# Prometheus metrics (app/metrics.py): every worker writes its counters in files of its own in this directory, and a
# scrape sums them. Set before the app is loaded (preload_app), emptied at each start, and a dead worker's files are
# marked so its gauges drop out. Without PROMETHEUS_MULTIPROC_DIR, a fresh temporary directory named by this master's
# pid, removed at exit — and at start those of masters that died without exiting (killed).
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


if _own_metrics_dir:
    for _stale in glob.glob(os.path.join(tempfile.gettempdir(), "xinyi-metrics-*-*")):
        _pid = os.path.basename(_stale).split("-")[2]
        if _pid.isdigit() and not _alive(int(_pid)):
            shutil.rmtree(_stale, ignore_errors=True)
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix=f"xinyi-metrics-{os.getpid()}-")
os.makedirs(metrics_dir, exist_ok=True)
for _name in os.listdir(metrics_dir):
    if _name.endswith(".db"):
        os.remove(os.path.join(metrics_dir, _name))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid, metrics_dir)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
