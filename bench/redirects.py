"""Redirects: gunicorn with the production settings (DEBUG off) on PostgreSQL + Redis,
wrk with 32 connections, the tracked short link `/l/<code>` (lookup, click captured into
the process's spool, which writes it to the database) beside the yardstick: a bare
Django project's 302 (bench/bare/: the project `django-admin startproject` makes, with
its default middleware, plus one view that redirects) under the same gunicorn settings.
A 302 from the product itself would carry the product's middleware, and its ratio would
hide that cost.

Each kind is measured ROUNDS times, alternating, after its own warm-up; the best round
of each counts. After each tracked round, once the spools have shipped, the click buffer
is flushed into PostgreSQL with the product's flush (campaigns.links.services.clicks_flush)
and the clicks stored are compared with the redirects the server served (counted by a
gunicorn hook, so the requests wrk abandoned at its cut-off, whose clicks were captured
too, are included).

Needs PostgreSQL (DATABASE_URL), Redis (REDIS_URL: its database is FLUSHED, give it a
spare number) and wrk (Debian package `wrk`). REDIRECT_BENCH_SECONDS shortens the
measured rounds (default 15)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import urlsafe_b64encode
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from campaigns.models import TrackedLink

CONNECTIONS = 32
WRK_THREADS = 2
SECONDS = int(os.environ.get("REDIRECT_BENCH_SECONDS", "15"))
WARMUP_SECONDS = 3
ROUNDS = 5
# The production server's settings (docker-compose.yml runs gunicorn's default sync worker),
# with 2 x cores processes: 4 here, as the issue measured. A sync worker closes each
# connection, so every redirect also pays a TCP connect and accept, as it does behind the
# TLS proxy. gthread (2 x 4 threads, used here before) served more requests on this host
# but is not what production runs, and its threads hand the GIL to one another around
# every system call: the tracked redirect's journal write then cost a thread switch, and
# its ratio to the bare 302 fell from ~85% (sync 4) to 68-77% on the same host.
WORKER_CLASS = "sync"
WORKERS = 2 * (os.cpu_count() or 1)

REPO = Path(__file__).resolve().parent.parent
# The yardstick's project directory (its package `bare` is imported from there).
BARE = Path(__file__).resolve().parent / "bare"

# wrk counts every response by status in each thread; done() adds them up. The headers
# are a person's browser behind the TLS proxy (production redirects plain HTTP).
LUA = """
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 " ..
  "(KHTML, like Gecko) Chrome/131.0 Safari/537.36"
wrk.headers["Referer"] = "https://t.co/"
wrk.headers["X-Forwarded-Proto"] = "https"
wrk.headers["X-Forwarded-For"] = "203.0.113.7"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  for status, n in pairs(counts) do
    io.write(string.format("RESULT status_%d %d\\n", status, n))
  end
  io.write(string.format("RESULT requests %d\\n", summary.requests))
  io.write(string.format("RESULT duration_us %d\\n", summary.duration))
  local e = summary.errors
  io.write(string.format("RESULT socket_errors %d\\n", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({50, 99}) do
    io.write(string.format("RESULT p%d_us %d\\n", p, latency:percentile(p)))
  end
end
"""


@dataclass
class Round:
    rate: float  # responses per second
    responses: int
    p50_ms: float
    p99_ms: float
    redirects: int  # 302s wrk received
    errors: int  # non-3xx responses and socket errors
    cpu_us: float = 0.0  # gunicorn's CPU time per response: neighbours barely move it


def _server_cpu(server: subprocess.Popen) -> float:
    """CPU seconds used so far by gunicorn's master and workers (Linux /proc; 0 elsewhere)."""
    try:
        pids = [server.pid] + [
            int(pid)
            for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        ]
        ticks = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError):
        return 0.0
    return ticks / os.sysconf("SC_CLK_TCK")


def _measure(wrk: str, script: Path, url: str, server: subprocess.Popen) -> Round:
    cpu = _server_cpu(server)
    found = _wrk(wrk, script, url, SECONDS)
    if found.responses:
        found.cpu_us = (_server_cpu(server) - cpu) / found.responses * 1e6
    return found


def _wrk(wrk: str, script: Path, url: str, seconds: int) -> Round:
    out = subprocess.run(
        [
            *(wrk, f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"),
            *("-s", str(script), url),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = (line.split()[1:] for line in out.splitlines() if line.startswith("RESULT "))
    found = {key: int(value) for key, value in results}
    statuses = {int(k[7:]): v for k, v in found.items() if k.startswith("status_")}
    not_3xx = sum(n for status, n in statuses.items() if not 300 <= status < 400)
    return Round(
        rate=found["requests"] / (found["duration_us"] / 1e6),
        responses=found["requests"],
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        redirects=statuses.get(302, 0),
        errors=not_3xx + found["socket_errors"],
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(served_dir: str, spool_dir: str) -> dict[str, str]:
    """Production settings (DEBUG off, required secrets set) on the benchmark's throw-away
    test database and the same Redis; the bare project reads SECRET_KEY and the rest."""
    from django.conf import settings
    from django.db import connection

    env = dict(os.environ)
    env.pop("SOCIALOPS_TESTING", None)
    database = urlsplit(env["DATABASE_URL"])
    env.update(
        DJANGO_SETTINGS_MODULE="socialops.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=database._replace(path="/" + quote(connection.settings_dict["NAME"])).geturl(),
        REDIS_URL=settings.REDIS_URL,
        BENCH_SERVED_DIR=served_dir,
        CLICK_SPOOL_DIR=spool_dir,
    )
    return env


def _start(port: int, env: dict[str, str], log, *, app: str = "socialops.wsgi") -> subprocess.Popen:
    """gunicorn serving `app` with the benchmark's settings (the same for both servers)."""
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(WORKERS), "--worker-class", WORKER_CLASS),
            *("--config", "python:bench.redirect_gunicorn", "--log-level", "warning"),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start-up")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except urllib.error.HTTPError:  # 503 (no worker, no beat) is an answer
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _flush(spool_dir: Path) -> tuple[int, float]:
    """The product's flush until the web processes' spools have shipped everything and the
    queue and every processing list are empty. Journals the server left behind when it
    stopped are adopted, as the flush task does."""
    from django.conf import settings

    from campaigns.links import buffer, spool
    from campaigns.links.services import clicks_flush, clicks_ship

    client = buffer.client()
    moved = 0
    start = time.perf_counter()
    while True:
        if time.perf_counter() - start > 120:
            raise RuntimeError("clicks still spooled or queued after 120 s")
        spool.adopt_orphans(spool_dir, deliver=clicks_ship)
        spooled = spool.pending_bytes(spool_dir)
        moved += clicks_flush(batch_size=settings.CLICK_FLUSH_BATCH)
        left = client.llen(buffer.QUEUE_KEY)
        if spooled or left or any(client.scan_iter(match=f"{buffer.PROCESSING_PREFIX}*")):
            time.sleep(0.05 if spooled and not left else 0)
            continue
        return moved, time.perf_counter() - start


def _rounds(
    wrk: str, folder: Path, *, warm: TrackedLink, links: list[TrackedLink]
) -> tuple[list[Round], list[Round], list[tuple[int, float]]]:
    """Bare and tracked rounds alternately, each against its own gunicorn (the other one
    idles) after its own warm-up; the click buffer is flushed after each tracked round."""
    script = folder / "count.lua"
    script.write_text(LUA)
    served_dir = folder / "served"
    served_dir.mkdir()
    (folder / "served-bare").mkdir()
    spool_dir = folder / "spool"
    env = _server_env(str(served_dir), str(spool_dir))
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bare.settings"}
    bare_env["BENCH_SERVED_DIR"] = str(folder / "served-bare")
    bare_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BARE), env.get("PYTHONPATH")]))
    port, bare_port = _free_port(), _free_port()
    base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    tracked: list[Round] = []
    bare: list[Round] = []
    flushes: list[tuple[int, float]] = []
    with (folder / "gunicorn.log").open("w") as log:
        server = bare_server = None
        try:
            server = _start(port, env, log)
            bare_server = _start(bare_port, bare_env, log, app="bare.wsgi")
            for n, link in enumerate(links):
                _wrk(wrk, script, f"{bare_base}/l/warm", WARMUP_SECONDS)
                bare.append(_measure(wrk, script, f"{bare_base}/l/b{n}", bare_server))
                _wrk(wrk, script, f"{base}/l/{warm.code}", WARMUP_SECONDS)
                _flush(spool_dir)  # the warm-up's clicks: the round starts with nothing queued
                tracked.append(_measure(wrk, script, f"{base}/l/{link.code}", server))
                time.sleep(0.5)  # requests wrk abandoned at its cut-off still finish
                flushes.append(_flush(spool_dir))
        except (RuntimeError, subprocess.CalledProcessError):
            log.flush()
            print("redirects: failed; gunicorn's log:")
            print((folder / "gunicorn.log").read_text()[-3000:])
            raise
        finally:
            for running in (bare_server, server):
                if running is not None:
                    _stop(running)  # graceful: the workers write what they served
    late, _ = _flush(spool_dir)  # anything served after the round's own flush
    return tracked, bare, [*flushes[:-1], (flushes[-1][0] + late, flushes[-1][1])]


def _served(folder: Path) -> Counter[str]:
    total: Counter[str] = Counter()
    for path in folder.glob("*.json"):
        total.update(json.loads(path.read_text()))
    return total


def _settle(seconds: float = 60) -> float:
    """Wait (at most `seconds`) for the work of earlier benchmarks to die down (after
    `bench ingest` PostgreSQL vacuums for a while), so both kinds of rounds start on a
    quiet machine; the 1-minute load average then, or after the wait."""
    from django.db import DatabaseError, connection

    if connection.vendor == "postgresql":
        # Write out what earlier benchmarks dirtied now, not in the middle of a round
        # (needs a superuser or pg_checkpoint; skipped without).
        with connection.cursor() as cursor, contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] > 1.0 and time.monotonic() < deadline:
        time.sleep(2)
    return os.getloadavg()[0]


def run() -> None:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print("redirects: skipped (needs PostgreSQL and Redis; set DATABASE_URL and REDIS_URL)")
        return
    wrk = shutil.which("wrk")
    if wrk is None:
        print("redirects: skipped (needs wrk: apt-get install wrk, or brew install wrk)")
        return

    from campaigns.links import buffer
    from campaigns.models import Click, TrackedLink

    buffer.client().flushdb()
    load = _settle()
    destination = "https://shop.example.com/spring?ref=bench"
    tags = {"utm_source": "x", "utm_medium": "social", "utm_campaign": "spring"}
    warm = TrackedLink.objects.create(destination=destination, code="rb-warm", **tags)
    links = [
        TrackedLink.objects.create(destination=destination, code=f"rb-{n}", **tags)
        for n in range(ROUNDS)
    ]

    with tempfile.TemporaryDirectory(prefix="redirect-bench-") as folder:
        tracked, bare, flushes = _rounds(wrk, Path(folder), warm=warm, links=links)
        served = _served(Path(folder, "served"))

    served_302 = sum(served[f"302 /l/{link.code}"] for link in links)
    wrk_302 = sum(r.redirects for r in tracked)
    stored = Click.objects.filter(link__in=links).count()
    flushed = sum(n for n, _ in flushes)
    flush_seconds = sum(s for _, s in flushes)
    best_t = max(tracked, key=lambda r: r.rate)
    best_b = max(bare, key=lambda r: r.rate)
    errors = sum(r.errors for r in tracked + bare)
    paired = [t.rate / b.rate for t, b in zip(tracked, bare, strict=True)]
    print(
        f"redirects, gunicorn {WORKERS} {WORKER_CLASS} workers, production "
        f"settings, PostgreSQL + Redis; wrk {CONNECTIONS} connections × {SECONDS} s, best of "
        f"{ROUNDS} alternating rounds; wrk, gunicorn, PostgreSQL and Redis share "
        f"{os.cpu_count()} cores (load average before: {load:.1f})"
    )
    print(
        f"  tracked /l/<code>: {best_t.rate:7,.0f} req/s (p50 {best_t.p50_ms:.1f} ms, p99 "
        f"{best_t.p99_ms:.1f} ms) | bare Django 302: {best_b.rate:7,.0f} req/s (p50 "
        f"{best_b.p50_ms:.1f} ms, p99 {best_b.p99_ms:.1f} ms) | tracked "
        f"{best_t.rate / best_b.rate:.0%} of bare (target ≥ 80%)"
    )
    print(
        f"  rounds, req/s: tracked {', '.join(f'{r.rate:,.0f}' for r in tracked)}; "
        f"bare {', '.join(f'{r.rate:,.0f}' for r in bare)} | each round against the bare round "
        f"before it: {', '.join(f'{r:.0%}' for r in paired)} (median "
        f"{statistics.median(paired):.0%}) | "
        f"gunicorn CPU per "
        f"response (least of the rounds): tracked {min(r.cpu_us for r in tracked):.0f} µs, "
        f"bare {min(r.cpu_us for r in bare):.0f} µs"
    )
    print(
        f"  redirects served {served_302:,} (wrk received {wrk_302:,}; "
        f"{served_302 - wrk_302} in flight at its cut-off) | clicks stored after the flush "
        f"{stored:,} ({'equal' if stored == served_302 else 'NOT EQUAL'}; must be equal) | "
        f"flush {flushed:,} clicks in {flush_seconds:.1f} s"
        + f" | errors (non-3xx or socket) {errors}"
    )
