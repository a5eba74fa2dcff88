"""The embedded, single-machine configuration used by `make demo`."""

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = True
SECRET_KEY = "minga-development-only-not-secret"  # noqa: S105 - dev settings only
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
VAR_DIR.mkdir(exist_ok=True)
