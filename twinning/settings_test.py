"""Test settings: the embedded shape, made fast. DATABASE_URL/REDIS_URL still apply."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# A developer's .env (DEBUG=1, perhaps a DATABASE_URL) must not change what the tests see.
os.environ["ENV_FILE"] = ""

from .settings import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_SSL_REDIRECT = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Tests log in with client.login(), which passes no request; the lockout has its own test.
AXES_ENABLED = False

# Parallel test workers (pytest-xdist, `make test`) each get their own database from pytest-django
# (test_<name>_gw0, ...); under .ci/run they share one Redis, so each keeps its cache keys apart.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    CACHES["default"]["KEY_PREFIX"] = XDIST_WORKER  # noqa: F405
