"""Settings for the test suite: SQLite by default; PostgreSQL when MINGA_TEST_DATABASE=postgres
and MINGA_TEST_DATABASE_URL names a server (both run in one `make test`)."""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import BASE_DIR, sqlite_database

DEBUG = False
SECRET_KEY = "minga-tests-only-not-secret"  # noqa: S105 - test settings only
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests only

if os.environ.get("MINGA_TEST_DATABASE") == "postgres":
    DATABASES = {
        "default": dict(
            dj_database_url.parse(
                os.environ["MINGA_TEST_DATABASE_URL"], conn_max_age=0, conn_health_checks=False
            )
        )
    }
else:
    # A file, not memory, so the live server's threads share it with the test; one per process
    # so that concurrent runs do not collide.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {"default": sqlite_database(BASE_DIR / "var" / "test.sqlite3")}
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
