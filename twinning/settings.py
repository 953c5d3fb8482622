"""
Settings for Twinning, read from the environment in this one place (and, below it, from the
checkout's git-ignored ``.env``, which ``make run`` writes for development).

Two shapes of the same code:
- embedded default (no environment): SQLite, Celery tasks run eagerly in-process,
  locmem cache, uploads under ``media/``;
- production: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (broker and cache).
"""

import os
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_file_read(path: str) -> None:
    """Put the ``KEY=VALUE`` lines of a local env file into the environment, where the real environment
    does not already set them. ``make run`` writes ``.env`` (git-ignored) with ``DEBUG=1`` and a generated
    ``SECRET_KEY``, so commands run from a checkout get the development settings; production sets its
    variables in its own environment. Blank lines and ``#`` comments are skipped; quotes around a value
    are removed."""
    if not path or not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _, value = line.removeprefix("export ").partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            os.environ.setdefault(key.strip(), value)


# ENV_FILE names another file, or none when empty (the test settings read none).
env_file_read(os.environ.get("ENV_FILE", str(BASE_DIR / ".env")))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    # manage.py prints this as one line; gunicorn and Celery refuse to start with it.
    raise ImproperlyConfigured(
        "SECRET_KEY is not set and DEBUG is off: production needs a real SECRET_KEY in its environment; "
        "for development run `make run` (it writes .env with DEBUG=1 and a generated SECRET_KEY)."
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Project apps; dependencies point one way: accounts -> pairing;
    # activities, volunteers -> pairing; reports -> the rest.
    "pairing",
    "accounts",
    "activities",
    "volunteers",
    "reports",
    # Tooling: the `bench` command (benchmarks/__init__.py says why it is an installed app).
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF: parses POST bodies first so that request limits answer with a clear 413/400 page.
    "twinning.middleware.RequestLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend whose per-request user load brings the unread-notice count along.
    "accounts.backends.PortalBackend",
]

# Failed-login lockout. A whole office shares one address, so attempts are counted per
# username *and* address: one clerk's typos do not lock out the office, and guessing one
# account's password from one address stops after AXES_FAILURE_LIMIT tries.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The client's address behind PROXY_COUNT reverse proxies, through django-ipware as django-axes
# documents. Each proxy appends the address it saw to X-Forwarded-For, and the last proxy is
# REMOTE_ADDR, so X-Forwarded-For lists PROXY_COUNT - 1 proxies after the client (ipware's proxy
# count). Not strict: entries a client wrote itself stay on the left and are skipped. Without a
# proxy the header is the client's own and is never read.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if PROXY_COUNT else ("REMOTE_ADDR",)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1 if PROXY_COUNT else None
IPWARE_STRICT = False

# Content-Security-Policy: every script and style sheet is served from this origin (no CDN,
# no inline script or handler); charts draw from JSON data blocks. Images may be data:/blob:
# previews of photos chosen for upload.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Style attributes (progress-bar widths) are allowed; style elements only from here.
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "twinning.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.unread_notices",
                "accounts.context_processors.perms",
            ],
        },
    },
    # Jinja2, the engine of the project's pages (twinning/jinja2.py); Django's, above, is for the
    # libraries' templates. Asked second: Django's cached loader remembers the names it lacks.
    {
        "BACKEND": "twinning.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "twinning.jinja2.environment",
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.unread_notices",
                "accounts.context_processors.perms",
            ],
        },
    },
]

WSGI_APPLICATION = "twinning.wsgi.application"


def postgres_url_from_parts() -> str:
    """A PostgreSQL URL from POSTGRES_HOST, _PORT, _DB, _USER and _PASSWORD (the compose file passes
    these), each part quoted so that a password may hold any character (@ : / # % ...)."""
    host = os.environ.get("POSTGRES_HOST", "")
    if not host:
        return ""
    user = quote(os.environ.get("POSTGRES_USER", "twinning"), safe="")
    password = quote(os.environ.get("POSTGRES_PASSWORD", ""), safe="")
    name = quote(os.environ.get("POSTGRES_DB", "twinning"), safe="")
    port = int(os.environ.get("POSTGRES_PORT", "5432"))
    return f"postgres://{user}:{password}@{host}:{port}/{name}"


# Database: DATABASE_URL (PostgreSQL or anything dj-database-url knows), else PostgreSQL from the
# POSTGRES_* parts, else the SQLite file.
DATABASES = {
    "default": dj_database_url.config(
        default=postgres_url_from_parts() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Concurrent writers (a dozen claims or hour entries at once) wait their turn instead of failing
    # with "database is locked": every transaction takes the write lock when it begins (IMMEDIATE;
    # a deferred one that read first cannot wait for it), waits up to 20 s for it (timeout), and WAL
    # lets pages read while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("POSTGRES_JIT", False):
    # PostgreSQL's JIT compiles any statement whose estimated cost passes jit_above_cost; on this
    # portal's page and report queries that was 100-330 ms of compiling for queries that run in a few
    # ms (EXPLAIN ANALYZE at 200,000 branches, docs/performance.md). Off per connection; POSTGRES_JIT=1
    # leaves the server's setting alone.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 25 ms of one core per
# login, where Django's PBKDF2 default (1,000,000 iterations) costs about 0.46 s and lets a month-end
# login burst saturate the server. PBKDF2 stays listed so older hashes still verify; Django rehashes
# them with Argon2 at the next login.
PASSWORD_HASHERS = [
    "twinning.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Redis is broker and cache in production. Sessions live in the database so that
# the pages keep working while Redis is down.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            # A dead or unreachable Redis fails fast instead of hanging a request.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Celery: eager in-process without a broker, Redis otherwise.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# The visibility timeout must outlast the longest task, or Redis redelivers it mid-run.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Production keeps the default (longer than the task time limit); only the worker-kill test
    # shortens it through the environment so that the unacked message comes back within seconds.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT") or CELERY_TASK_TIME_LIMIT + 30 * 60),
    # Redis down: a page that enqueues learns it within about a second (then says so) instead of hanging.
    "socket_connect_timeout": 2,
}
if os.environ.get("CELERY_VISIBILITY_TIMEOUT"):
    # kombu scans for unacknowledged tasks to restore every 10th tick of 10 s (100 s); with a shortened
    # visibility timeout (the worker-kill test) a lost task should come back within seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS.update(unacked_restore_interval=1, unacked_restore_throttle=1)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# The Redis result backend retries 20 times a second apart by default; a web request must not wait that long.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    # The 20th of each month: pairings with no theme Party day yet this month get a reminder.
    "activities-theme-day-reminders": {
        "task": "activities.send_theme_day_reminders",
        "schedule": crontab(minute=0, hour=9, day_of_month=20),
    },
    # Report snapshots: every night as of today; on the 1st of each month as of the last day of the
    # previous month; on the 1st of each quarter as of the last day of the previous quarter.
    "reports-nightly": {"task": "reports.refresh_snapshots", "schedule": crontab(minute=30, hour=1)},
    "reports-month-end": {
        "task": "reports.refresh_snapshots",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
        "kwargs": {"period": "month"},
    },
    "reports-quarter-end": {
        "task": "reports.refresh_snapshots",
        "schedule": crontab(minute=30, hour=2, day_of_month=1, month_of_year="1,4,7,10"),
        "kwargs": {"period": "quarter"},
    },
}

# Internationalisation: Simplified Chinese first, English through i18n.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: keep large bodies on disk, refuse absurd requests.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Whole request bodies (files included) larger than this are refused with 413 before being read
# (twinning/middleware.py); the largest legitimate one is a theme day with 12 photos and attachments.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_MB", "150")) * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "twinning@localhost")

# Security. Production defaults are strict; DEBUG relaxes the HTTPS-only ones.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # monitoring probes the container over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default config gives "django" its own console handler under DEBUG and lets the
        # records propagate to the root's as well: every line (runserver's "Watching for file
        # changes") printed twice. The root's handler alone prints them.
        "django": {"handlers": []},
        # django-axes logs four INFO lines per login attempt; lockouts are warnings and still show.
        "axes": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run inside the request or command: Celery's "Task ... succeeded" line is noise there. A
    # worker (REDIS_URL set) keeps it.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}

# Twinning's own knobs.
BRANCH_LIST_PAGE_SIZE = 50
# /healthz shows its checks (database vendor, broker, workers) to staff and to callers sending
# "Authorization: Bearer <HEALTHZ_TOKEN>"; everyone else gets only ok/degraded/down.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")

# JSON API (/api/v1/, twinning/api.py). Session (with CSRF) or token authentication
# (``python manage.py drf_create_token <username>``); every viewset reads through the
# apps' selectors, so the scope rule is the pages' one. See docs/api.md.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request then gets 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "twinning.api.CursorPage",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "twinning.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Twinning API",
    "DESCRIPTION": "支部联支部 JSON API: the same scope rules and services as the pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # operations are grouped by collection (branches, hours, ...)
    # Several models have a "status" or "level": name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "GradeEnum": "pairing.choices.Grade",
        "RegionLevelEnum": "pairing.choices.RegionLevel",
        "UnitLevelEnum": "pairing.choices.UnitLevel",
        "BranchKindEnum": "pairing.choices.BranchKind",
        "RegistrationKindEnum": "volunteers.choices.RegistrationKind",
        "PairingStatusEnum": "pairing.models.PairingStatus",
        "ThemeDayStatusEnum": "activities.choices.ThemeDayStatus",
        "TaskProgressEnum": "activities.choices.TaskProgress",
        "RegistrationStatusEnum": "volunteers.choices.RegistrationStatus",
        "OpenClosedEnum": "volunteers.choices.OpenClosed",
        "HourStatusEnum": "volunteers.choices.HourStatus",
    },
}
