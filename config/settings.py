"""Muster settings. What varies between deployments comes from environment variables.

Every variable is documented in `.env.example`; a `.env` file beside `manage.py` is read when
present, and real environment variables win over it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """The SECRET_KEY, or a development key kept in an untracked file.

    Production (DEBUG off) refuses to start without a real key, so sessions and password-reset
    links are never signed with a key that anyone could read in the repository.
    """
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY: Muster will not start with DEBUG off without one."
        )
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# HTTPS. With DEBUG off every default is the strict one: `manage.py check --deploy` passes
# (tests/test_settings.py). The test suite relaxes what plain http needs in tests/conftest.py.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer's health check may come over plain http, straight to the app.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy that terminates TLS: the header it sets, e.g. HTTP_X_FORWARDED_PROTO,
# and its value for https. Only set it when the proxy always sets (or strips) that header.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER is a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https"
    )

INSTALLED_APPS = [
    # django.contrib.admin, requiring a second factor and auditing its changes (issue 13).
    "accounts.apps.MusterAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks_db",
    "simple_history",
    # Sign-in protection: lockout after failed passwords, two-factor codes (issue 6).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "checklists",
    "notifications",
    # Training records (issue 14); django-import-export parses and dry-runs its CSV imports.
    "import_export",
    "training",
    "exercises",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app, before sessions or the database are touched.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The audit log: makes each request's IP address and browser known to accounts.audit.record.
    "accounts.audit.AuditContextMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # An oversized body is refused (413) by its Content-Length before anything reads it.
    "config.middleware.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A sign-in ends 12 hours after it began, before anything else looks at the person.
    "accounts.middleware.SessionLimitMiddleware",
    # Signed-in pages and downloads: Cache-Control: no-store, private.
    "accounts.middleware.NoStoreMiddleware",
    # Two-factor: marks the verified device, then holds a half-signed-in person at the code step.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A rate-limited request gets the 429 page (RATELIMIT_VIEW) instead of a 403.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: turns a lockout into the friendly lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.memberships",
                "notifications.context_processors.bell",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to the same file: take the write lock at the
    # start of a transaction and let readers go on beside a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        timeout=20,
    )
# Connections are kept for a minute and checked before reuse, so after a database outage the
# app reconnects by itself on the next request, without a restart.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Content Security Policy: our own origin only, and no inline script or style at all.
# Bootstrap's form controls draw small SVG icons from data: URLs.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out person is refused before their password is even checked.
    # (axes' AxesBackend is this plus ModelBackend, which is listed below already.)
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Sessions end after 30 minutes without a request and 12 hours after sign-in whatever happens
# (accounts.middleware.SessionLimitMiddleware). Activity moves the idle expiry on, written at
# most once a minute, so a session ends between 29 and 30 minutes after the last request.
SESSION_COOKIE_AGE = 30 * 60
SESSION_IDLE_REFRESH = 60
SESSION_ABSOLUTE_AGE = 12 * 60 * 60
# Lockout (django-axes, accounts/lockout.py): 5 failed sign-ins of one account from one client
# address lock that account from that address for 15 minutes, so nobody elsewhere can lock a
# person out by typing their email. One address as a whole (an office behind one NAT) is slowed
# down after ADDRESS_SLOWDOWN_AFTER failures on any accounts (each try waits 1, 2, 4… up to 60
# seconds after the last failure) and locked at ADDRESS_FAILURE_LIMIT. Failures count while each
# follows the last within 15 minutes. The password re-entered at sign-off counts the same way.
AXES_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = env.int("ADDRESS_FAILURE_LIMIT", default=100)
ADDRESS_SLOWDOWN_AFTER = env.int("ADDRESS_SLOWDOWN_AFTER", default=10)
ADDRESS_SLOWDOWN_MAX_SECONDS = 60
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Counted per (account, address) and per address; the handler gives each its own limit.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_USERNAME_FORM_FIELD = "username"  # the field name of Django's AuthenticationForm
AXES_USERNAME_CALLABLE = "accounts.lockout.username"  # emails compared as logins are
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_RESET_ON_SUCCESS = True
# A lockout lasts 15 minutes from the fifth failure; trying again meanwhile does not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"  # our page, status 429
# The reverse proxies whose X-Forwarded-For is believed, by address or network (see .env.example):
# X-Forwarded-For is read only from a connection that comes from one of them. Empty (the
# default): the client is REMOTE_ADDR and X-Forwarded-For is ignored, so it cannot be spoofed.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
try:
    for _proxy in TRUSTED_PROXIES:
        ipaddress.ip_network(_proxy, strict=False)
except ValueError as error:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXIES is a list of addresses or networks, e.g. 127.0.0.1,10.0.0.0/8: {error}"
    ) from error
if "TRUSTED_PROXY_COUNT" in os.environ:
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is gone: list your proxies' addresses in TRUSTED_PROXIES instead."
    )

# Two-factor sign-in (django-otp): the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Muster")

INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

# Reports: paper size (letter or A4) and the key and certificate that sign them.
REPORT_PAPER_SIZE = env.str("REPORT_PAPER_SIZE", default="letter")
REPORT_SIGNING_KEY = env.path(
    "REPORT_SIGNING_KEY", default=BASE_DIR / "var" / "signing" / "muster.key"
)
REPORT_SIGNING_CERT = env.path(
    "REPORT_SIGNING_CERT", default=BASE_DIR / "var" / "signing" / "muster.crt"
)
# Seconds a report render may take before it is presumed lost (its worker died) and is queued
# again by `manage.py recover_reports`. Far longer than any real render.
REPORT_RENDER_LEASE = env.int("REPORT_RENDER_LEASE", default=600)

# Draft reports render in the task worker; how many one member may have waiting or rendering.
DRAFT_RENDERS_PER_MEMBER = env.int("DRAFT_RENDERS_PER_MEMBER", default=2)

# Evidence files: the largest upload accepted, in bytes.
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# The form fields of one request, files aside, in bytes: far above the longest text allowed
# (Response.notes, 10,000 characters, up to 4 bytes each), so an over-long text is refused
# beside its field rather than by a bare 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The public verify page (/verify/): the largest file checked, the most its embedded snapshot
# may inflate to (a real one is some kilobytes), and how many files one client address may send
# (django-ratelimit's rate: 10/m is ten a minute). Uploads above Django's 2.5 MB
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, never into memory whole.
VERIFY_MAX_BYTES = env.int("VERIFY_MAX_BYTES", default=20 * 1024 * 1024)
VERIFY_ATTACHMENT_MAX_BYTES = env.int("VERIFY_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
VERIFY_RATE = env.str("VERIFY_RATE", default="10/m")
# The largest request body taken at all, files included, refused by its Content-Length before a
# byte of it is read (config.middleware.RequestSizeLimitMiddleware): the largest upload and some
# room for the form around it. nginx's client_max_body_size in the README matches it.
REQUEST_MAX_BYTES = max(EVIDENCE_MAX_BYTES, VERIFY_MAX_BYTES) + 1024 * 1024
if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", VERIFY_RATE):
    raise ImproperlyConfigured("VERIFY_RATE is a count per s, m, h or d, e.g. 10/m")

# The cache holds the verify page's counts per address (django-ratelimit), so it lives in the
# database that every gunicorn worker and app server shares: a per-process cache would count per
# worker. `migrate` creates its table (checklists migration 0005). The database cache does not
# increment atomically: requests at the same instant may be counted as one, so a client may get
# a few more than VERIFY_RATE through. A guard against flooding, not a quota: accepted, rather
# than running Redis or memcached for it. (So django_ratelimit is not in INSTALLED_APPS: all the
# app adds is a system check that refuses this cache for that reason.)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "muster_cache",
        # Culling drops a third of the entries when full: keep it rare, or counts would reset.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    }
}
RATELIMIT_VIEW = "config.views.rate_limited"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Evidence, logos and reports are readable by the app's user and group only, whoever writes them
# (a web request or the task worker): both save through the storage, which applies these modes.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750


def _file_storage() -> dict:
    """Where evidence, agency logos and signed reports are kept: MEDIA_ROOT, or an S3 bucket.

    Files are only ever served through permission-checked views, so the bucket stays private
    and any URL it signs expires within minutes. Credentials come from boto3's usual chain
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role).
    """
    backend = env.str("STORAGE_BACKEND", default="filesystem")
    if backend == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured("STORAGE_BACKEND is filesystem or s3.")
    options = {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env.str("AWS_S3_REGION_NAME", default=None),
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
        "location": env.str("AWS_LOCATION", default=""),
        "signature_version": "s3v4",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": _file_storage(),
    # Production serves hashed, compressed copies made by `collectstatic` (WhiteNoise).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


def _mailer(url: str) -> dict:
    """Django 6.1's MAILERS entry for an EMAIL_URL such as smtp+tls://user:pass@host:587."""
    config = environ.Env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    names = {
        "django.core.mail.backends.smtp.EmailBackend": {
            "EMAIL_HOST": "host",
            "EMAIL_PORT": "port",
            "EMAIL_HOST_USER": "username",
            "EMAIL_HOST_PASSWORD": "password",
            "EMAIL_USE_TLS": "use_tls",
            "EMAIL_USE_SSL": "use_ssl",
        },
        "django.core.mail.backends.filebased.EmailBackend": {"EMAIL_FILE_PATH": "file_path"},
    }.get(backend, {})
    options = {option: config[name] for name, option in names.items() if config.get(name)}
    return {"BACKEND": backend, "OPTIONS": options}


MAILERS = {"default": _mailer(env.str("EMAIL_URL", default="consolemail://"))}
# Where links in emails and calendar feeds point (they are made outside any request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Muster <muster@localhost>")

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# The task worker (`manage.py task_worker`): how much lower its CPU priority is than the web
# server's (os.nice), and how often it writes its heartbeat, in seconds.
TASK_WORKER_NICE = env.int("TASK_WORKER_NICE", default=19)
TASK_WORKER_HEARTBEAT = env.float("TASK_WORKER_HEARTBEAT", default=5.0)
# On Linux the worker also takes the idle scheduling policy (SCHED_IDLE): it runs on what the
# web server leaves, and yields the processor the moment a request needs it.
TASK_WORKER_IDLE_POLICY = env.bool("TASK_WORKER_IDLE_POLICY", default=True)
# /healthz answers 503 when the worker's last heartbeat, or the oldest task waiting for it, is
# older than these many seconds (config/views.py).
HEALTH_WORKER_HEARTBEAT_MAX_AGE = env.int("HEALTH_WORKER_HEARTBEAT_MAX_AGE", default=60)
HEALTH_QUEUE_MAX_AGE = env.int("HEALTH_QUEUE_MAX_AGE", default=300)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

CATALOG_DIR = BASE_DIR / "checklists" / "catalogs"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools narrate every rendering step at INFO; axes every sign-in.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools", "axes")}
    # Django's own console handler for its loggers (DEBUG only) wrote each line a second time
    # beside the root's: the task worker's "Task id=…" lines under `make run`.
    | {"django": {"handlers": [], "level": "INFO"}},
}
