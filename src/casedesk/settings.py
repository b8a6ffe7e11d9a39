"""Settings for casedesk, read from the environment (see README, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from whitenoise.compress import Compressor

from casedesk.core.secret_key import SecretKeyError, read_secret_key
from casedesk.core.storage import default_storage_config

# Lets the classes django-stubs types as generic (`admin.ModelAdmin[Case]`, formsets) be
# subscripted at run time too.
django_stubs_ext.monkeypatch()

# OpenBLAS (under numpy and scipy) runs every small matrix step on a thread per core; in a
# web or worker process, whose siblings already keep the cores busy, those threads wait on
# each other: the forecast's model fit took ten times longer (290 ms, 23 ms on one thread).
# Set before numpy is first imported; the environment may still say otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name).strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return value


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("CASEDESK_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("CASEDESK_DEBUG", False)
try:
    SECRET_KEY = read_secret_key(os.environ, VAR_DIR)
except SecretKeyError as error:
    raise ImproperlyConfigured(str(error)) from error
ALLOWED_HOSTS = env_list("CASEDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CASEDESK_CSRF_TRUSTED_ORIGINS")
# The address people reach casedesk at (e.g. https://help.example.com), for the links mailed
# in invitations and password resets; empty: the host the request came to (one of
# ALLOWED_HOSTS), which is right unless a proxy rewrites it.
BASE_URL = env_str("CASEDESK_BASE_URL").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_htmx",
    "ninja",
    "django_tasks_db",
    "casedesk.core",
    "casedesk.tenancy",
    "casedesk.crm",
    "casedesk.routing",
    "casedesk.cases",
    "casedesk.sla",
    "casedesk.mail",
    "casedesk.kb",
    "casedesk.csat",
    "casedesk.portal",
    "casedesk.tasks",
    "casedesk.calls",
    "casedesk.automation",
    "casedesk.chat",
    "casedesk.slack",
    "casedesk.reports",
    "casedesk.search",
    "casedesk.notifications",
    "casedesk.console",
    "casedesk.importer",
    "casedesk.exporter",
    "casedesk.privacy",
    "casedesk.assist",
    "casedesk.mcpserver",
    # The top floor: what puts the apps together.
    "casedesk.demo",
    "casedesk.ops",
]

MIDDLEWARE = [
    "casedesk.core.timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "casedesk.core.middleware.UnicodeRequestMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "casedesk.tenancy.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "casedesk.core.middleware.ApiJsonErrorsMiddleware",
    # Last, as django-axes requires: turns a sign-in it held back into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casedesk.urls"
WSGI_APPLICATION = "casedesk.wsgi.application"
ASGI_APPLICATION = "casedesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casedesk.console.context.console",
            ],
        },
    },
]


def database_from_url(url: str) -> dict[str, object]:
    """A DATABASES entry for `url`, tuned for each engine."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and IMMEDIATE transactions let readers and one writer work side by side and
        # make concurrent writers queue instead of failing with "database is locked".
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
        if env_bool("CASEDESK_DB_PREPARE", True):
            # Server-side binding lets psycopg prepare a statement the second time a
            # connection runs it, so the planner's work (several ms for the case list's
            # joins) is paid once per connection, not once per request. Turn it off behind a
            # pooler that cannot keep prepared statements.
            config["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
    return config


def replica_database(url: str, *, connect_timeout: int = 3,
                     read_only: bool = False) -> dict[str, object]:
    """The DATABASES entry of the PostgreSQL replica reports read from (core/replica.py).

    A short connect timeout: while the replica is unreachable, reports fall back to the
    primary, and only one request in a while waits to find that out. `read_only` makes every
    transaction of its connections read-only, as on a standby (for a second connection to
    the primary standing in for one). In tests it mirrors `default`: Django makes no test
    database on it, it reads the one made on the primary."""
    config = database_from_url(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("CASEDESK_REPLICA_DATABASE_URL must name a PostgreSQL "
                                   "database (postgres://...).")
    options = config.get("OPTIONS")
    config["OPTIONS"] = {**(options if isinstance(options, dict) else {}),
                         "connect_timeout": connect_timeout,
                         **({"options": "-c default_transaction_read_only=on"}
                            if read_only else {})}
    config["TEST"] = {"MIRROR": "default"}
    return config


DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'casedesk.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
# Reports (and only reports) may read from a PostgreSQL replica: README, "Read replica".
REPLICA_DATABASE_URL = env_str("CASEDESK_REPLICA_DATABASE_URL").strip()
if REPLICA_DATABASE_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("CASEDESK_REPLICA_DATABASE_URL needs DATABASE_URL to name "
                                   "the PostgreSQL primary it replicates.")
    DATABASES["replica"] = replica_database(
        REPLICA_DATABASE_URL,
        connect_timeout=env_int("CASEDESK_REPLICA_CONNECT_TIMEOUT", 3, minimum=1))
    DATABASE_ROUTERS = ["casedesk.core.replica.ReplicaRouter"]
CASEDESK_REPORTS_DATABASE = "replica" if REPLICA_DATABASE_URL else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
# django-axes first: it refuses a held-back sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/inbox/cases"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Attachments and other files: local disk under var/media, or S3-compatible object storage
# with CASEDESK_STORAGE=s3 (README, "Attachments"; core/storage.py).
STORAGES = {
    "default": default_storage_config(os.environ),
    "staticfiles": {"BACKEND": "casedesk.core.static_storage.StaticFilesStorage"},
}
# Source maps are for developers' tools, and the largest files collected (the API docs'
# bundles): not worth compressing at every first start.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_ROOT = VAR_DIR / "media"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Security (README, "Security settings") -----------------------------------------------------

# A Content-Security-Policy on every response (Django's own middleware): scripts, styles,
# images and fonts from this site only; no inline script or style without the request's nonce
# (`{{ csp_nonce }}`, from the `csp` context processor), no eval, no plugins, no framing, and
# forms post only here.
SECURE_CSP: dict[str, list[str] | bool] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Where browsers reach `casedesk live` (the chat's real-time streams), when not at this site's
# own `/live/` (a reverse proxy routes it there): its origin, e.g. https://live.desk.example
# or http://127.0.0.1:8001 (`casedesk run` sets it for its own live server).
CASEDESK_LIVE_URL = env_str("CASEDESK_LIVE_URL").strip().rstrip("/")
if CASEDESK_LIVE_URL:
    _live = urlsplit(CASEDESK_LIVE_URL)
    if _live.scheme in ("http", "https") and _live.netloc:
        cast(list[str], SECURE_CSP["connect-src"]).append(f"{_live.scheme}://{_live.netloc}")

# Behind TLS (a reverse proxy that terminates HTTPS): CASEDESK_HTTPS=1 makes cookies Secure,
# sends HSTS, trusts the proxy's X-Forwarded-Proto (the proxy must set it, overwriting what
# the client sent) and redirects plain-HTTP requests to HTTPS, except the health check, which
# load balancers and process managers probe over plain HTTP on the private side.
CASEDESK_HTTPS = env_bool("CASEDESK_HTTPS", False)
if CASEDESK_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("CASEDESK_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("CASEDESK_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CASEDESK_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = False
    SECURE_CSP["upgrade-insecure-requests"] = True

# The client's address, for the sign-in and API-token throttles: the peer address
# (REMOTE_ADDR), unless casedesk runs behind reverse proxies that write it into a header:
# then CASEDESK_CLIENT_IP_HEADER names that header (X-Forwarded-For, X-Real-IP) and
# CASEDESK_TRUSTED_PROXY_COUNT says how many proxies append to it (see core/throttle.py).
# Set them only behind proxies: any client can send such a header.
CASEDESK_CLIENT_IP_HEADER = env_str("CASEDESK_CLIENT_IP_HEADER").strip()
CASEDESK_TRUSTED_PROXY_COUNT = env_int("CASEDESK_TRUSTED_PROXY_COUNT", 1, minimum=1)

# Sign-in throttling with django-axes, counted in the database (every process sees the same
# counts): after CASEDESK_LOGIN_FAILURE_LIMIT failed sign-ins for one account (whether it
# exists or not), or from one client address, each within the cool-off of the one before,
# sign-ins for it are refused until CASEDESK_LOGIN_COOLOFF_MINUTES have passed without another
# try. Unlock early in the Django admin (Axes › Access attempts: delete the rows) or with
# `casedesk axes_reset`, `axes_reset_username EMAIL`, `axes_reset_ip ADDRESS`.
AXES_FAILURE_LIMIT = env_int("CASEDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CASEDESK_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "casedesk.core.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "casedesk.core.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "casedesk.core.views.login_locked_out"
# A success does not wipe the counts: with per-address counting it would let a guesser who has
# one account of their own reset their address's count between guesses at another.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True

# API-token throttling (core/throttle.py), in the database too: after
# CASEDESK_API_AUTH_FAILURE_LIMIT bad tokens from one client address (an IPv6 /64), each within
# the cool-off of the one before, its requests get 429 with Retry-After until
# CASEDESK_API_AUTH_COOLOFF_MINUTES have passed since its last bad token.
CASEDESK_API_AUTH_FAILURE_LIMIT = env_int("CASEDESK_API_AUTH_FAILURE_LIMIT", 20, minimum=1)
CASEDESK_API_AUTH_COOLOFF = timedelta(
    minutes=env_int("CASEDESK_API_AUTH_COOLOFF_MINUTES", 15, minimum=1))

# Outbound connections to hosts tenant admins type in (IMAP mailboxes, later webhooks) may not
# reach loopback, private, link-local (cloud metadata), CGNAT and other internal addresses
# unless this is set: for a desk whose mail server is on the same private network.
CASEDESK_ALLOW_PRIVATE_NETWORKS = env_bool("CASEDESK_ALLOW_PRIVATE_NETWORKS", False)

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "sweeps"],
    }
}

# Outbound mail (replies, acknowledgements) goes out through Django 6.1's MAILERS. With no
# CASEDESK_SMTP_HOST, messages are written as .eml files under var/sent-mail instead, so a demo
# never mails anyone.
SMTP_HOST = env_str("CASEDESK_SMTP_HOST")
SMTP_SECURITY = env_str("CASEDESK_SMTP_SECURITY", "starttls").lower()  # starttls, ssl, none
if SMTP_SECURITY not in {"starttls", "ssl", "none"}:
    raise ImproperlyConfigured("CASEDESK_SMTP_SECURITY must be starttls, ssl or none.")
if SMTP_HOST:
    MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": SMTP_HOST,
            "port": int(env_str("CASEDESK_SMTP_PORT") or {"ssl": 465, "starttls": 587,
                                                          "none": 25}[SMTP_SECURITY]),
            "username": env_str("CASEDESK_SMTP_USER"),
            "password": env_str("CASEDESK_SMTP_PASSWORD"),
            "use_tls": SMTP_SECURITY == "starttls",
            "use_ssl": SMTP_SECURITY == "ssl",
            # A hanging server delays the outbox, never a request: mail is sent by workers.
            "timeout": int(env_str("CASEDESK_SMTP_TIMEOUT", "30")),
        },
    }}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                           "OPTIONS": {"file_path": str(VAR_DIR / "sent-mail")}}}
# The installation's sender, for tenants that set no address of their own.
DEFAULT_FROM_EMAIL = env_str("CASEDESK_MAIL_FROM", "casedesk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CASEDESK_LOG_LEVEL", "WARNING")},
}

CASEDESK_API_PAGE_MAX = 100
# Case descriptions may be long (pasted logs); attachments come through their own channel.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest file a person may upload (a knowledge-base article's file, kb/attachments.py).
# Files are streamed to a temporary file as they arrive, not held in memory.
CASEDESK_UPLOAD_MAX_BYTES = env_int("CASEDESK_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# The file types agents may attach to replies and notes when their tenant lists none
# (cases/attachments.py): media types or extensions, comma-separated.
CASEDESK_ATTACHMENT_TYPES = env_list("CASEDESK_ATTACHMENT_TYPES", ",".join([
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    "text/csv", "application/zip", "application/json", "docx", "xlsx"]))
