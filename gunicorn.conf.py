"""gunicorn settings; every value can be overridden from the environment."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("ACCESS_LOG", "-")
# Paths and status only: query strings could carry identifiers a client put there by mistake.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
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
