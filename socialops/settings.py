"""SocialOps settings: one module, read from the environment with typed helpers.

Every variable has a development-safe default so `make run` works on a bare machine
(SQLite, a filesystem broker, a generated secret under var/). With DEBUG off, missing or
weak secrets stop start-up with a message that says what to set.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import os
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SOCIALOPS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _dev_secret(filename: str, make) -> str:
    """A secret generated once for this checkout and kept under the ignored var/."""
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _why_not_random(value: str) -> str | None:
    """Why a secret does not look drawn at random, or None when it does.

    A length check alone accepts "abcde" * 10. Measured on 50,000 keys each from
    secrets.token_urlsafe(50), token_hex(25), token_hex(32) and Django's
    get_random_secret_key(), none is refused:
    1. variety: at least 10 distinct characters and 160 bits by the characters' own
       frequencies (a 50-character hex key has ~185);
    2. no repeated pattern: for no shift p (up to a third of the length) do more than half
       of the characters equal the one p further on ("password1234" * 5);
    3. no run: at most half of neighbouring characters are one code point apart or equal
       ("abcdef…XYZ").
    """
    n = len(value)
    counts = Counter(value)
    bits = -n * sum(c / n * math.log2(c / n) for c in counts.values())
    if len(counts) < 10 or bits < 160:
        return f"too little variety: {len(counts)} distinct characters"
    for shift in range(1, n // 3 + 1):
        same = sum(value[i] == value[i + shift] for i in range(n - shift))
        if same / (n - shift) > 0.5:
            return f"it repeats every {shift} characters"
    steps = sum(abs(ord(a) - ord(b)) <= 1 for a, b in itertools.pairwise(value))
    if steps / (n - 1) > 0.5:
        return "it runs through neighbouring characters"
    return None


def _require_strong(name: str, value: str, min_length: int) -> str:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    if len(value) < min_length:
        why = f"shorter than {min_length} characters"
    elif value.startswith("django-insecure"):
        why = "Django's insecure placeholder"
    else:
        why = _why_not_random(value)
    if why:
        raise ImproperlyConfigured(
            f"{name} is too weak ({why}): use at least {min_length} random characters "
            f"(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    return value


_FERNET_HOWTO = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _require_fernet_key(name: str, value: str, *, production: bool) -> str:
    """A key Fernet accepts, checked now: a malformed one used to pass start-up and fail
    the first request that read an X token (500)."""
    try:
        Fernet(value)
        raw = base64.urlsafe_b64decode(value)
    except (ValueError, TypeError, binascii.Error):
        raise ImproperlyConfigured(
            f"{name} is not a Fernet key (32 url-safe base64-encoded bytes): make one with "
            f"{_FERNET_HOWTO}"
        ) from None
    # 32 random bytes have ~30 distinct values; fewer than 16 is a made-up key.
    if production and len(set(raw)) < 16:
        raise ImproperlyConfigured(
            f"{name} is too weak (its 32 bytes are not random): make one with {_FERNET_HOWTO}"
        )
    return value


DEBUG = env_bool("DEBUG", True)
TESTING = env_bool("SOCIALOPS_TESTING", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY") or _dev_secret(
        "secret_key", lambda: secrets.token_urlsafe(50)
    )
else:
    SECRET_KEY = _require_strong("SECRET_KEY", env_str("SECRET_KEY"), 50)

# Fernet key for secrets stored in the database (X tokens). Rotating it needs a re-encrypt.
# Checked in development too: a key given by hand is as likely to be mistyped there.
if DEBUG:
    FIELD_ENCRYPTION_KEY = _require_fernet_key(
        "FIELD_ENCRYPTION_KEY",
        env_str("FIELD_ENCRYPTION_KEY")
        or _dev_secret("field_encryption_key", lambda: Fernet.generate_key().decode()),
        production=False,
    )
elif not env_str("FIELD_ENCRYPTION_KEY"):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")
else:
    FIELD_ENCRYPTION_KEY = _require_fernet_key(
        "FIELD_ENCRYPTION_KEY", env_str("FIELD_ENCRYPTION_KEY"), production=True
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Short links in published posts are built on it: a wrong one breaks every link on X, so
# production must say it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
if not DEBUG and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "SITE_URL must be set when DEBUG is off: the public address short links use, "
        "e.g. https://social.example.com"
    )
# The sign-in page lists the demo logins (only those that exist) when this is on.
SHOW_DEMO_LOGINS = env_bool("SHOW_DEMO_LOGINS", DEBUG)

# The product's own apps, bottom to top (ARCHITECTURE.md: each imports only those below it).
PROJECT_APPS = ["socialops", "departments", "listening", "campaigns", "prospects", "metrics"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    *PROJECT_APPS,
]

MIDDLEWARE = [
    # Before anything reads the path or the query: a NUL byte in either is a 400.
    "socialops.middleware.RefuseNulMiddleware",
    # Outside WhiteNoise and the rest, so every response carries the policy.
    "socialops.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "departments.middleware.OrganisationTimezoneMiddleware",
    # After auth (the caller a key belongs to): replays the first answer to a POST.
    "socialops.idempotency.IdempotencyMiddleware",
    # Last, as axes asks: turns a sign-in that hit the lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# GET and HEAD on /l/ (the short-link redirect, served at visitors' pace) go through these
# alone, in MIDDLEWARE's order (socialops/handlers.py): what every response must carry
# (the NUL refusal, the CSP, HTTPS redirect and security headers, host validation and
# Content-Length, X-Frame-Options). Skipped because a redirect reads none of it:
# WhiteNoise (/static/ only), sessions, CSRF (a safe method; a POST goes the whole way),
# auth, messages, htmx, the organisation's time zone (it skipped /l/ already) and axes
# (sign-in lockouts). A 404 is answered by the whole chain, so its page is unchanged.
SHORT_LINK_MIDDLEWARE = [
    "socialops.middleware.RefuseNulMiddleware",
    "socialops.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "socialops.urls"
WSGI_APPLICATION = "socialops.wsgi.application"
AUTH_USER_MODEL = "socialops.User"

# An app split into concept folders keeps each concept's templates in its folder
# (campaigns/links/templates/campaigns/links/…), found like an app's own templates.
CONCEPT_TEMPLATE_DIRS = sorted(
    path for app in PROJECT_APPS for path in (BASE_DIR / app).glob("*/templates")
)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates", *CONCEPT_TEMPLATE_DIRS],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socialops.context_processors.organisation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'socialops.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: WAL lets readers run beside one writer, and
    # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so a real worker process can see what a test wrote.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # A covering index's INCLUDE columns (a PostgreSQL speed-up) are ignored here, rightly.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: every query here is a short one, and PostgreSQL's cost estimate
    # for a dashboard's longer periods crosses jit_above_cost, where compiling costs more
    # than the query (+25 ms measured on the department dashboard at full benchmark size).
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    if REDIS_URL.startswith(("redis://", "rediss://")):
        # kombu's Redis transport without the defect that made a worker exit in 1 outage
        # in 4 (socialops/broker.py).
        CELERY_BROKER_TRANSPORT = "socialops.broker:RedisTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "socialops",
        }
    }
else:
    # No server needed: kombu's filesystem transport; producer and consumer share one folder.
    (BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"
    # kombu's filesystem transport with atomic writes and claims (socialops/broker.py):
    # its own writes messages in place, and a worker that read half of one died.
    CELERY_BROKER_TRANSPORT = "socialops.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -----------------------------------------------------------------------------
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Ride out a broker outage of any length: keep reconnecting (Celery gives up after 100
# attempts by default, ~50 minutes), and at start-up too.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the connection is lost finishes its work (the database is not the
# broker) rather than being cut off mid-way (a post half sent to X); its message, left
# unacknowledged, comes back after the visibility timeout and finds nothing left to do.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Save last_run_at after every task beat sends: /healthz reads it to tell beat is alive.
CELERY_BEAT_SYNC_EVERY = 1
HEARTBEAT_INTERVAL = env_int("HEARTBEAT_INTERVAL", 30)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {
        "task": "socialops.tasks.heartbeat",
        "schedule": float(HEARTBEAT_INTERVAL),
        "options": {"queue": "default", "expires": HEARTBEAT_INTERVAL * 2},
    },
}
CELERY_BEAT_SCHEDULE["listening-enqueue-due-sources"] = {
    "task": "listening.enqueue_due_sources",
    "schedule": float(env_int("X_SCHEDULER_TICK", 15)),
    "options": {"queue": "ingest", "expires": 60},
}
# Prospect lists that mirror a private X list: beat looks for due syncs every minute
# (each list syncs every 5 minutes, so changes made on X show within 15).
CELERY_BEAT_SCHEDULE["prospects-enqueue-due-lists"] = {
    "task": "prospects.enqueue_due_lists",
    "schedule": 60.0,
    "options": {"queue": "ingest", "expires": 60},
}
# --- Clicks on tracked links -------------------------------------------------------------
# With Redis, redirects buffer clicks in a list that this task moves to the database.
CLICK_FLUSH_INTERVAL = env_int("CLICK_FLUSH_INTERVAL", 5)
CLICK_FLUSH_BATCH = env_int("CLICK_FLUSH_BATCH", 2000)
# How long a redirect waits for Redis before writing the click to the database itself.
CLICK_BUFFER_TIMEOUT_MS = env_int("CLICK_BUFFER_TIMEOUT_MS", 100)
# With Redis, each web process appends its clicks to a journal in this folder (the web
# host's own disk) and a thread writes them to the database every CLICK_SPOOL_SHIP_MS, one
# INSERT a batch: a redirect costs one write(2), not a Redis round trip
# (campaigns/links/spool.py). Empty: each redirect pushes its click to Redis itself. Tests
# opt in per test. Once a second rather than five times: each batch is one transaction that
# also bumps the day's metrics mark, and at 200 ms the four web processes' shippers cost the
# redirects 5-15% of their throughput on a 2-core host (bench/redirects.py: median of paired
# rounds 78% of a bare Django 302 at 200 ms, 85% at 1,000 ms). A click is in the database
# about a second after the redirect; the metrics roll it up a minute later anyway.
CLICK_SPOOL_DIR = env_str("CLICK_SPOOL_DIR", "" if TESTING else str(VAR_DIR / "clicks"))
CLICK_SPOOL_SHIP_MS = env_int("CLICK_SPOOL_SHIP_MS", 1000)
CLICK_SPOOL_ROTATE_MB = env_int("CLICK_SPOOL_ROTATE_MB", 16)
CELERY_BEAT_SCHEDULE["campaigns-flush-clicks"] = {
    "task": "campaigns.flush_clicks",
    "schedule": float(CLICK_FLUSH_INTERVAL),
    "options": {"queue": "default", "expires": CLICK_FLUSH_INTERVAL * 2},
}
# --- Webhooks (socialops/webhooks/) ------------------------------------------------------
# Endpoints on private, loopback or link-local addresses are refused (SSRF) unless this is
# on; development (DEBUG) and tests allow them.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", DEBUG or TESTING)
# A delivery succeeds on a 2xx within this many seconds.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 15)
# Seconds before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; then
# the delivery has failed (a later Retry-After wins).
WEBHOOK_RETRY_SCHEDULE = [
    int(value)
    for value in env_list(
        "WEBHOOK_RETRY_SCHEDULE", ["0", "5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
# How long a worker holds a delivery it is sending; one that dies holding it leaves it to
# the next dispatch after this (keep it above WEBHOOK_TIMEOUT).
WEBHOOK_CLAIM_SECONDS = env_int("WEBHOOK_CLAIM_SECONDS", 60)
# An endpoint whose every attempt failed for this long is disabled and its owner e-mailed.
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 5 * 86400)
# After a secret rotation the old secret signs too for this many seconds.
WEBHOOK_ROTATION_OVERLAP = env_int("WEBHOOK_ROTATION_OVERLAP", 86400)
WEBHOOK_TICK = env_int("WEBHOOK_TICK", 5)
WEBHOOK_DISPATCH_BATCH = env_int("WEBHOOK_DISPATCH_BATCH", 500)
WEBHOOK_QUEUE = env_str("WEBHOOK_QUEUE", "default")
if WEBHOOK_CLAIM_SECONDS <= WEBHOOK_TIMEOUT or not WEBHOOK_RETRY_SCHEDULE:
    raise ImproperlyConfigured(
        "WEBHOOK_CLAIM_SECONDS must exceed WEBHOOK_TIMEOUT, and WEBHOOK_RETRY_SCHEDULE "
        "must list at least one delay."
    )
CELERY_BEAT_SCHEDULE["socialops-webhooks-dispatch-due"] = {
    "task": "socialops.webhooks.dispatch_due",
    "schedule": float(WEBHOOK_TICK),
    "options": {"queue": WEBHOOK_QUEUE, "expires": WEBHOOK_TICK * 2},
}
# --- Metrics rollups ---------------------------------------------------------------------
# Days whose raw rows changed are recomputed every METRICS_ROLLUP_INTERVAL seconds; the last
# week is recomputed every night at METRICS_NIGHTLY_HOUR (the organisation's late data).
METRICS_ROLLUP_INTERVAL = env_int("METRICS_ROLLUP_INTERVAL", 60)
METRICS_NIGHTLY_HOUR = env_int("METRICS_NIGHTLY_HOUR", 3)
CELERY_BEAT_SCHEDULE["metrics-rollup-marked"] = {
    "task": "metrics.rollup_marked",
    "schedule": float(METRICS_ROLLUP_INTERVAL),
    "options": {"queue": "default", "expires": METRICS_ROLLUP_INTERVAL * 2},
}
CELERY_BEAT_SCHEDULE["metrics-rollup-recent"] = {
    "task": "metrics.rollup_recent",
    "schedule": crontab(hour=METRICS_NIGHTLY_HOUR, minute=20),
    "options": {"queue": "default", "expires": 3600},
}
# --- The weekly steering-committee review ------------------------------------------------
# This week's review opens on REVIEW_OPEN_WEEKDAY (0 = Monday) at REVIEW_OPEN_HOUR in the
# organisation's time zone; beat checks every REVIEW_OPEN_TICK seconds (the organisation's
# zone is in the database, so a crontab in UTC could not say "07:00 there").
REVIEW_OPEN_WEEKDAY = env_int("REVIEW_OPEN_WEEKDAY", 0)
REVIEW_OPEN_HOUR = env_int("REVIEW_OPEN_HOUR", 7)
REVIEW_OPEN_TICK = env_int("REVIEW_OPEN_TICK", 300)
# An open review's figures are kept this many seconds in the cache (0: computed on every
# request); closing always computes them afresh.
REVIEW_NUMBERS_CACHE_SECONDS = env_int("REVIEW_NUMBERS_CACHE_SECONDS", 0 if TESTING else 60)
if not 0 <= REVIEW_OPEN_WEEKDAY <= 6 or not 0 <= REVIEW_OPEN_HOUR <= 23:
    raise ImproperlyConfigured("REVIEW_OPEN_WEEKDAY must be 0-6 and REVIEW_OPEN_HOUR 0-23.")
CELERY_BEAT_SCHEDULE["metrics-reviews-open-due"] = {
    "task": "metrics.reviews.open_due",
    "schedule": float(REVIEW_OPEN_TICK),
    "options": {"queue": "default", "expires": REVIEW_OPEN_TICK},
}
# --- Publishing scheduled posts ----------------------------------------------------------
# Every PUBLISH_TICK seconds due posts are claimed (PUBLISH_BATCH at most per tick) and one
# task per post goes to PUBLISH_QUEUE.
PUBLISH_TICK = env_int("PUBLISH_TICK", 15)
PUBLISH_BATCH = env_int("PUBLISH_BATCH", 200)
PUBLISH_QUEUE = env_str("PUBLISH_QUEUE", "publish")
# A claim this old belongs to a worker that died: the post is checked against X (and
# adopted if found there) before it is sent again. Keep it well above the client timeout.
PUBLISH_CLAIM_TIMEOUT = env_int("PUBLISH_CLAIM_TIMEOUT", 120)
# How far before its first claim a post found on X may have been created (clock skew).
PUBLISH_RECONCILE_SKEW = env_int("PUBLISH_RECONCILE_SKEW", 60)
# X's 5xx and timeouts: retried this many times with backoff from PUBLISH_RETRY_BACKOFF s.
PUBLISH_MAX_RETRIES = env_int("PUBLISH_MAX_RETRIES", 4)
PUBLISH_RETRY_BACKOFF = env_int("PUBLISH_RETRY_BACKOFF", 5)
# Claims of one post taken over from dead workers before it is failed for a person to look at.
PUBLISH_MAX_ATTEMPTS = env_int("PUBLISH_MAX_ATTEMPTS", 10)
# A post this late (scheduled or sending, not published) raises the dashboard alert.
PUBLISH_STUCK_AFTER = env_int("PUBLISH_STUCK_AFTER", 300)
# Tests only: the worker SIGKILLs itself right after X accepted its Nth part, before the
# id is stored (the crash that reconciliation exists for). Ignored unless SOCIALOPS_TESTING.
PUBLISH_TEST_KILL_AFTER_SENDS = env_int("PUBLISH_TEST_KILL_AFTER_SENDS", 0) if TESTING else 0
CELERY_BEAT_SCHEDULE["campaigns-publish-due"] = {
    "task": "campaigns.publish_due",
    "schedule": float(PUBLISH_TICK),
    "options": {"queue": PUBLISH_QUEUE, "expires": PUBLISH_TICK * 2},
}
# Inbox replies whose worker died mid-send go back in the queue (checked on X first).
CELERY_BEAT_SCHEDULE["inbox-replies-reclaim"] = {
    "task": "inbox.replies_reclaim",
    "schedule": float(PUBLISH_TICK),
    "options": {"queue": PUBLISH_QUEUE, "expires": PUBLISH_TICK * 2},
}
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- X API ------------------------------------------------------------------------------
# The bundled simulator (python -m xsim) in development; X itself in production.
X_API_BASE_URL = env_str("X_API_BASE_URL", "https://api.twitter.com")
X_CLIENT_ID = env_str("X_CLIENT_ID", "socialops-dev" if DEBUG else "")
X_CLIENT_SECRET = env_str("X_CLIENT_SECRET")
X_OAUTH_AUTHORIZE_URL = env_str("X_OAUTH_AUTHORIZE_URL")
# A run renews its lease with every page; a worker that dies holds it this long at most.
X_SOURCE_LEASE_SECONDS = env_int("X_SOURCE_LEASE_SECONDS", 300)
# Pages a run commits together: a backlog writes in fewer, larger transactions.
X_INGEST_BATCH_PAGES = env_int("X_INGEST_BATCH_PAGES", 10)

# --- Auth -------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "departments:home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "socialops.auth.SignInLockoutBackend",  # refuses a locked account or address first
    "django.contrib.auth.backends.ModelBackend",
]
# Brute-force limits (README, Security). Sign-in: django-axes counts failures per account
# and per address in the database; the rest count in the cache (socialops/throttle.py).
LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 15)
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10)
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 5)
API_TOKEN_FAILURE_LIMIT = env_int("API_TOKEN_FAILURE_LIMIT", 20)
# Proxies in front of the web process that append to X-Forwarded-For; 0: REMOTE_ADDR is
# the client. Behind one that is not counted, every client shares the proxy's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
THROTTLE_NAMESPACE = ""
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
# A lock ends at a time the page can tell; attempts during it neither extend nor count.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "socialops.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "socialops.throttle.client_ip"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N / time ------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# The server's default zone; pages use the organisation's own zone (OrganisationTimezoneMiddleware).
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# In development and tests whitenoise serves straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail -----------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SocialOps <socialops@localhost>")

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with a WWW-Authenticate challenge.
        "socialops.tokens.ApiTokenAuthentication",  # hashed tokens (socialops/tokens.py)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "socialops.tokens.TokenScopes",  # a token's scopes narrow its user's rights
    ],
    # django-filter's, answering 400 to a parameter a list does not take.
    "DEFAULT_FILTER_BACKENDS": ["socialops.drf.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "socialops.drf.CursorPagination",
    # JSON with a nesting limit (socialops/parsers.py); forms and uploads as DRF parses them.
    "DEFAULT_PARSER_CLASSES": [
        "socialops.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "socialops.drf.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SocialOps API",
    "DESCRIPTION": "Departments, goals, KPIs and measurements of a SocialOps installation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and docs describe the API, not its data: integrators read them first.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models have a `kind`; name their enums after the model.
    "ENUM_NAME_OVERRIDES": {
        "DepartmentKindEnum": "departments.models.Department.Kind",
        "SourceKindEnum": "listening.models.Source.Kind",
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "GoalStatusEnum": "departments.models.Goal.Status",
        "ReviewStatusEnum": "metrics.reviews.models.Review.Status",
        "ActionItemStatusEnum": "metrics.reviews.models.ActionItem.Status",
        "ConversationStatusEnum": "listening.inbox.models.Status",
        "ConversationKindEnum": "listening.inbox.models.Conversation.Kind",
        "MessageKindEnum": "listening.inbox.models.MessageKind",
        "ReplyKindEnum": "listening.inbox.models.Reply.Kind",
        "ReplyCreateKindEnum": [("reply", "Reply"), ("quote", "Quote")],
    },
    # The API reads JSON (forms and uploads are parsed too, but not documented): the
    # schema's request bodies are what integrators send and what schemathesis tries.
    "PARSER_WHITELIST": ["socialops.parsers.JSONParser"],
}

# --- Content-Security-Policy (socialops/csp.py) -----------------------------------------
# Scripts only from our own static files: no inline script or handler, no CDN, no eval.
# Stylesheets only ours too, but style *attributes* are allowed: templates size bars and
# spacing with them, an attribute carries no selector (so no CSS exfiltration), and any
# url() in one is still held to default-src 'self'. A <style> element is refused.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# --- Production hardening ---------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Lines a busy installation repeats all day: Celery's per-task "received" and "succeeded",
# beat's "sending due task", and the development server's lines for short-link redirects
# and static files (socialops/logs.py). make run sets WARNING: its terminal keeps what a
# person needs.
ROUTINE_LOG_LEVEL = env_str("ROUTINE_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        # Django's own, for the development server's request lines.
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {
        "routine_requests": {"()": "socialops.logs.RoutineRequests", "level": ROUTINE_LOG_LEVEL}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "celery.app.trace": {"level": ROUTINE_LOG_LEVEL},
        "celery.worker.strategy": {"level": ROUTINE_LOG_LEVEL},
        "celery.beat": {"level": ROUTINE_LOG_LEVEL},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["routine_requests"],
        },
    },
}
