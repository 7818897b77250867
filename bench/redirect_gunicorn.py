"""gunicorn hooks for the redirect benchmark (`-c python:bench.redirect_gunicorn`): each
worker counts the responses it served per path and status, and writes them to
$BENCH_SERVED_DIR/<pid>.json when it exits. The server's count includes the requests
wrk abandoned at its cut-off, whose clicks were captured all the same."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter

_served: Counter[str] = Counter()
_lock = threading.Lock()  # gthread workers serve from several threads


def post_request(worker, req, environ, resp) -> None:
    status = getattr(resp, "status_code", None)
    if status is not None:
        with _lock:
            _served[f"{status} {req.path}"] += 1


def worker_exit(server, worker) -> None:
    folder = os.environ.get("BENCH_SERVED_DIR")
    if folder:
        with open(os.path.join(folder, f"{worker.pid}.json"), "w") as out:
            json.dump(dict(_served), out)
