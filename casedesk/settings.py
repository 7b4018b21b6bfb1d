"""Django settings, all from the environment (docs/operations.md#configuration)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

from casedesk import config
from casedesk.core.observability import logs

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

DEBUG = config.env_flag("CASEDESK_DEBUG")
HTTPS = config.env_flag("CASEDESK_HTTPS")
SECRET_KEY = config.ensure_secret_key()
ALLOWED_HOSTS = config.allowed_hosts()
RATE_LIMIT = config.rate_limit()
# Only a connection from one of these may name the client in X-Forwarded-For (core/proxies.py).
TRUSTED_PROXIES = config.trusted_proxies()
# Observability (docs/operations.md): the log format, who may read /metrics, and whether
# /readyz requires a live background worker.
LOG_FORMAT = config.log_format()
METRICS_TOKEN = os.environ.get("CASEDESK_METRICS_TOKEN", "").strip()
METRICS_ALLOW = config.metrics_allow()
REQUIRE_WORKER = config.env_flag("CASEDESK_REQUIRE_WORKER")
# Webhooks may target loopback, link-local and private addresses (docs/webhooks.md#addresses).
WEBHOOK_ALLOW_PRIVATE = config.env_flag("CASEDESK_WEBHOOK_ALLOW_PRIVATE")
# How long a worker's claim on a delivery lasts (docs/webhooks.md#retries).
WEBHOOK_LEASE_SECONDS = config.env_positive("CASEDESK_WEBHOOK_LEASE_SECONDS", 60.0)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "casedesk.core",
    "casedesk.jobs",
    "casedesk.directory",
    "casedesk.customers",
    "casedesk.catalog",
    "casedesk.entitlements",
    "casedesk.cases",
    "casedesk.routing",
    "casedesk.sla",
    "casedesk.search",
    "casedesk.attachments",
    "casedesk.mail",
    "casedesk.events",
    "casedesk.notifications",
    "casedesk.web",
    "casedesk.cli",
]

# Background work (docs/architecture.md, "Background work"): jobs are rows of the database,
# run by `casedesk worker` (and the worker `casedesk serve` starts).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# A worker sends a heartbeat every JOBS_HEARTBEAT_SECONDS; one silent for
# JOBS_WORKER_STALE_SECONDS is taken for dead and its running jobs are run again. Finished jobs
# are deleted after these many days (docs/operations.md, "Background workers").
JOBS_HEARTBEAT_SECONDS = config.env_positive("CASEDESK_JOBS_HEARTBEAT_SECONDS", 15)
JOBS_WORKER_STALE_SECONDS = config.env_positive("CASEDESK_JOBS_WORKER_STALE_SECONDS", 60)
JOBS_KEEP_SUCCEEDED_DAYS = config.env_positive("CASEDESK_JOBS_KEEP_SUCCEEDED_DAYS", 7)
JOBS_KEEP_FAILED_DAYS = config.env_positive("CASEDESK_JOBS_KEEP_FAILED_DAYS", 30)

MIDDLEWARE = [
    # Outermost: the request id, the log line and the metrics cover every answer.
    "casedesk.core.observability.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The probes and /metrics, before CommonMiddleware checks the Host header.
    "casedesk.core.observability.middleware.ProbeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "casedesk.api.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casedesk.web.middleware.RequestTooLargeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casedesk.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "casedesk.web.middleware.ContentSecurityPolicyMiddleware",
    "casedesk.web.middleware.FormAddressMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "casedesk.web.middleware.DomainErrorPageMiddleware",
]

# The largest request body read into memory (a form's fields, a JSON body): room for an import
# of 1,000 cases with long descriptions. Over it the API answers 413 `too_large` and the web UI
# a page saying so (docs/api.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Forms write Django's field, input, select and label markup in Python: the same HTML at a
# fraction of the CPU of the template engine (docs/performance.md, "The web pages").
FORM_RENDERER = "casedesk.web.forms.renderer.FastFormRenderer"

ROOT_URLCONF = "casedesk.urls"
WSGI_APPLICATION = "casedesk.wsgi.application"
AUTH_USER_MODEL = "casedesk_directory.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casedesk.web.context.notifications",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{DATA_DIR / 'casedesk.sqlite3'}"
    db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    options: dict[str, Any] = dict(db.get("OPTIONS") or {})
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(db["NAME"])
        if not name.is_absolute():
            name = (Path.cwd() / name).resolve()
        db["NAME"] = str(name)
        # IMMEDIATE makes every transaction take the write lock up front (no lock-upgrade
        # deadlocks); NORMAL is crash-safe in WAL mode and avoids an fsync per commit.
        options.update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-8000;"
                    "PRAGMA temp_store=MEMORY;"
                ),
            }
        )
        db["TEST"] = {"NAME": str(name.with_name("test_" + name.name))}
        # Django's backend, with a prompt hand-off of the write lock (casedesk/core/sqlite).
        db["ENGINE"] = "casedesk.core.sqlite"
        # Each server thread keeps its connection: opening one (file, pragmas, schema) cost
        # about 2 ms of CPU, a third of a small request. Its page cache (8 MB, the pragma
        # above) stays with it, so a worker's threads hold at most 32 MB of pages; the
        # operating system's file cache serves the rest.
        db["CONN_MAX_AGE"] = 600
        db["CONN_HEALTH_CHECKS"] = True
    elif db["ENGINE"] in {
        "django.db.backends.postgresql",
        "django.db.backends.postgresql_psycopg2",
    }:
        db["ENGINE"] = "django.db.backends.postgresql"
        db["CONN_MAX_AGE"] = 0
        # The pool checks a connection as it lends it (psycopg_pool's check_connection, an
        # empty query) and replaces one the server has closed (a restart, a fail-over,
        # pg_terminate_backend), so that no request gets a dead connection. Django passes the
        # check to the pool when health checks are on: a `check` in the pool's options would
        # be given twice.
        db["CONN_HEALTH_CHECKS"] = True
        # Parameters sent apart from the statement, and a statement run twice on a
        # connection prepared on the server: PostgreSQL plans it once per connection instead
        # of at every request (a case read with its eight joins took 1.5 ms to plan and 0.2
        # to run; docs/performance.md, "The web pages"). `CASEDESK_DB_PREPARED_STATEMENTS=0`
        # turns both off, for a pooler that does not keep them (docs/deployment.md).
        if os.environ.get("CASEDESK_DB_PREPARED_STATEMENTS", "1").strip() != "0":
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 2)
        options.setdefault(
            "pool",
            {
                "min_size": 1,
                "max_size": int(os.environ.get("CASEDESK_DB_POOL_SIZE", "8")),
                "timeout": float(os.environ.get("CASEDESK_DB_POOL_TIMEOUT", "10")),
            },
        )
    db["OPTIONS"] = options
    return db


DATABASES = {"default": _database()}
# On SQLite (docs/operations.md, "Processes"): the lock file that hands the write lock from one
# writer to the next (casedesk/core/sqlite/base.py), and the thread in each server worker that
# checkpoints the write-ahead log (casedesk/core/sqlite/checkpoint.py). Both on unless set to 0;
# without them SQLite's own busy handler and checkpoints do the work.
SQLITE_WRITE_LOCK = config.env_flag("CASEDESK_SQLITE_WRITE_LOCK", default=True)
SQLITE_CHECKPOINT_THREAD = config.env_flag("CASEDESK_SQLITE_CHECKPOINT_THREAD", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "casedesk.directory.passwords.RepeatedCharacterValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Times on pages in the desk's zone; the API and the database keep UTC.
TIME_ZONE = config.time_zone()
# Dates and times written one way on every page, in each language (docs/web.md).
FORMAT_MODULE_PATH = ["casedesk.web.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Pages link static files by names that carry a hash of their content, which WhiteNoise serves
# with a year's cache and compressed; `casedesk serve` collects them into STATIC_ROOT before it
# starts (casedesk/cli/static.py). With debug on, the apps' folders are served as they are.
# Attachments (docs/email.md) go to the default storage: files under the data dir unless another
# Django storage (S3-compatible, for several app servers) is configured here.
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# The largest attachment, in megabytes (docs/email.md): a bigger upload is refused with 413
# `too_large`, a bigger file in an incoming e-mail is left out of the case and listed on it.
MAX_UPLOAD_MB = config.max_upload_mb()
# The desk's own sender address besides the mailboxes' (docs/email.md#loops-and-junk).
MAIL_FROM = os.environ.get("CASEDESK_MAIL_FROM", "").strip()
# Where outgoing mail goes (docs/email.md#sending); empty: it stays queued.
SMTP_URL = config.smtp_url()
# The address users reach casedesk at (https://desk.example.com): links in notification
# e-mails (docs/notifications.md#e-mail); empty: the links are paths.
BASE_URL = os.environ.get("CASEDESK_BASE_URL", "").strip().rstrip("/")
# Uploads over this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe, and Prometheus scrapes, over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# One line per record on standard error: text for a terminal, JSON for a log collector.
LOGGING = logs.logging_config(LOG_FORMAT)
logs.configure_structlog()

# Failed sign-ins and token requests (docs/security.md): after `free_per_user` failures for a
# user name or `free_per_address` for a client address, the next attempt waits
# `first_delay_seconds`, twice as long after each further failure, at most `max_delay_seconds`.
# A count is forgotten after `forget_after_seconds` without a failure; a success clears the
# user name's count.
LOGIN_THROTTLE = {
    "free_per_user": 5,
    "free_per_address": 20,
    "first_delay_seconds": 5,
    "max_delay_seconds": 300,
    "forget_after_seconds": 3600,
}
# API tokens issued by POST /auth/token expire after this many days (0: never).
TOKEN_TTL_DAYS = int(os.environ.get("CASEDESK_TOKEN_TTL_DAYS", "0") or 0)
