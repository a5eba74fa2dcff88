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


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_settings_refuse_to_start_without_their_environment(missing, tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "minga.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "minga.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }
    del env[missing]

    result = run_minga(["check"], env)

    assert result.returncode != 0
    assert f"{missing} must be set in the environment for production." in result.stderr


def test_the_deployment_check_of_production_settings_prints_no_warning(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "minga.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "minga.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    }

    result = run_minga(["check", "--deploy"], env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_an_unknown_minga_command_is_refused_with_a_clear_message():
    result = run_minga(["no-such-command"], {"DJANGO_SETTINGS_MODULE": "minga.settings.test"})

    assert result.returncode == 1
    assert "Unknown command: 'no-such-command'" in result.stderr
