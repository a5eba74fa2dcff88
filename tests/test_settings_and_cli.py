"""Production settings refuse to start without their environment, pass `check --deploy`
cleanly, and the `minga` command dispatches to Django and to the pure counts."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINGA = [sys.executable, "-m", "minga.cli"]


def run_minga(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MINGA_TEST"))}
    return subprocess.run(
        [*MINGA, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def prod_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "minga.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "minga.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        **extra,
    }


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_settings_refuse_to_start_without_their_environment(missing, tmp_path):
    env = prod_env(tmp_path)
    del env[missing]

    result = run_minga(["check"], env)

    assert result.returncode != 0
    assert f"{missing} must be set in the environment for production." in result.stderr


def test_the_deployment_check_of_production_settings_prints_no_warning(tmp_path):
    env = prod_env(tmp_path)

    result = run_minga(["check", "--deploy"], env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_production_can_share_its_cache_through_a_database_table(tmp_path):
    env = prod_env(tmp_path, MINGA_CACHE="database")

    made = run_minga(["createcachetable"], env)
    shown = run_minga(
        ["shell", "-c", "from django.conf import settings; print(settings.CACHES)"], env
    )
    used = run_minga(
        [
            "shell",
            "-c",
            "from django.core.cache import cache; cache.set('k', 41); print(cache.get('k') + 1)",
        ],
        env,
    )

    assert made.returncode == 0, made.stderr
    assert "DatabaseCache" in shown.stdout and "minga_cache" in shown.stdout
    assert used.stdout.strip().splitlines()[-1] == "42", used.stderr


def test_an_unknown_production_cache_is_refused_naming_the_variable(tmp_path):
    result = run_minga(["check"], prod_env(tmp_path, MINGA_CACHE="redis"))

    assert result.returncode != 0
    assert "MINGA_CACHE must be one of memory, database, not 'redis'." in result.stderr


def test_an_unknown_minga_command_is_refused_with_a_clear_message():
    result = run_minga(["no-such-command"], {"DJANGO_SETTINGS_MODULE": "minga.settings.test"})

    assert result.returncode == 1
    assert "Unknown command: 'no-such-command'" in result.stderr


def test_argon2_is_the_password_hasher_of_the_base_settings_and_hashes_with_argon2id():
    from django.contrib.auth.hashers import make_password
    from django.test import override_settings

    from minga.settings import base

    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password("una-clave-larga-2026")

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert encoded.startswith("argon2$argon2id$")


@pytest.mark.parametrize("name", ["dev.py", "prod.py"])
def test_the_served_settings_keep_the_base_password_hashers(name):
    # Only the test settings trade Argon2 for speed; a served site never does.
    source = (ROOT / "minga" / "settings" / name).read_text(encoding="utf-8")

    assert "PASSWORD_HASHERS" not in source


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["serve"], {"PORT": "abc"}, "PORT: abc is not a TCP port (1-65535)"),
        (["serve"], {"PORT": "70000"}, "PORT: 70000 is not a TCP port (1-65535)"),
        (["serve", "--port", "0"], {}, "--port: 0 is not a TCP port (1-65535)"),
        (["serve", "--port", "-5"], {"PORT": "8000"}, "--port: -5 is not a TCP port (1-65535)"),
    ],
)
def test_minga_serve_refuses_a_bad_port_naming_where_it_came_from(args, env, message):
    result = run_minga(args, {"DJANGO_SETTINGS_MODULE": "minga.settings.test", **env})

    assert result.returncode == 2
    assert result.stderr.strip() == message


@pytest.mark.parametrize(
    ("first", "path"),
    [
        ("socialincome", "/api/v1/socialincome/programmes/x/changes"),
        ("ledger", "/api/v1/ledger/transfers/1"),
    ],
)
def test_an_apps_api_imported_before_the_api_is_mounted_whole(first, path):
    # minga.api imports every app's api module; one imported first must not be mounted while it
    # is still half-defined (its endpoints defined after the import would answer 404).
    script = (
        "import django; django.setup()\n"
        f"import minga.{first}.api\n"
        "from django.urls import resolve\n"
        f"print(resolve({path!r}).url_name)\n"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MINGA_TEST"))}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "minga.settings.test"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
