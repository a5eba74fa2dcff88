"""The settings of the site that bench/http.py serves: Minga's own, on a scratch database, with
bench/http_urls.py (Minga's URLs plus the minimal view) as ROOT_URLCONF."""

import os
from pathlib import Path

import dj_database_url

from minga.settings.base import *  # noqa: F403
from minga.settings.base import sqlite_database

DEBUG = False
SECRET_KEY = "minga-bench-only-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.http_urls"
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dict(dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600))
    }
else:
    DATABASES = {"default": sqlite_database(Path(os.environ["MINGA_BENCH_SQLITE"]))}
