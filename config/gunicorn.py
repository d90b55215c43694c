"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi`.

The app is loaded once in the master, and its objects are frozen out of the cyclic garbage
collector before each fork (the recipe in Python's `gc.freeze` documentation): workers share
those pages copy-on-write and their collections no longer walk Django's whole startup heap,
which otherwise adds tens of milliseconds to whichever request triggers one.
"""

from __future__ import annotations

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = 60
# Keep idle connections longer than the proxy or load balancer in front keeps its own (nginx's
# upstream keepalive and AWS ALB's idle timeout are 60 s): gunicorn's default of 2 s closes
# connections just as a client reuses them, which it sees as a reset (a 502 behind a proxy).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
preload_app = True
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

gc.disable()  # no collections while the app loads, so frozen pages have no holes


def pre_fork(server, worker) -> None:
    gc.freeze()


def post_fork(server, worker) -> None:
    gc.enable()
