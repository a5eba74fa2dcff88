"""Production: every secret and address comes from the environment, and the process refuses to
start without them rather than fall back to something unsafe."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in the environment for production.")
    return value


DEBUG = False
SECRET_KEY = required("SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in required("ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [f"https://{h.lstrip('.')}" for h in ALLOWED_HOSTS]
DATABASES = {"default": dict(dj_database_url.parse(required("DATABASE_URL"), conn_max_age=60))}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("MINGA_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "/var/lib/minga/static"))

# The cache: each process's own memory (the default), or a table of the database that every
# process shares (`minga createcachetable` makes it). The ledger's public index keeps its count
# of transfers there (docs/deploy.md).
CACHE_BACKENDS = {
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "minga_cache",
    },
}
_cache = os.environ.get("MINGA_CACHE", "memory").strip() or "memory"
if _cache not in CACHE_BACKENDS:
    raise ImproperlyConfigured(
        f"MINGA_CACHE must be one of {', '.join(CACHE_BACKENDS)}, not {_cache!r}."
    )
CACHES = {"default": CACHE_BACKENDS[_cache]}
