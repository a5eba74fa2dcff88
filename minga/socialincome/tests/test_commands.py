from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from minga.socialincome import models

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("socialincome", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_programmes_are_listed_one_per_line_slug_first(world):
    out, _err = run("programmes")

    assert (
        out == "cotacachi-cuidados\tEC:1003\thours\tIngreso social para el cuidado de Cotacachi\n"
    )


def test_issue_shows_progress_and_is_idempotent(world):
    out, err = run("issue", "--programme", "cotacachi-cuidados", "--period", "2026-01")
    again, _err = run("issue", "--programme", "cotacachi-cuidados", "--period", "2026-01")

    assert out == "issued 2026-01: 6 new, 0 already issued, amount 10000\n"
    assert err.endswith("[##############################] 6/6\n")
    assert again == "issued 2026-01: 0 new, 6 already issued, amount 0\n"
    assert models.Issuance.objects.count() == 6


def test_expire_returns_unspent_credits_once(world):
    run("issue", "--programme", "cotacachi-cuidados", "--period", "2026-01")

    out, _err = run("expire", "--programme", "cotacachi-cuidados", "--as-of", "2026-04-01")
    again, _err = run("expire", "--programme", "cotacachi-cuidados", "--as-of", "2026-04-01")

    assert out == "expired through 2026-01: 6 wallets, 0 already done, amount 10000\n"
    assert again == "expired through 2026-01: 0 wallets, 6 already done, amount 0\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("issue", "--programme", "nada", "--period", "2026-01"),
            "--programme: no programme 'nada'",
        ),
        (
            ("issue", "--programme", "cotacachi-cuidados", "--period", "2026-1x"),
            "--period: '2026-1x' is not a month written YYYY-MM",
        ),
        (
            ("expire", "--programme", "cotacachi-cuidados", "--as-of", "ayer"),
            "--as-of: 'ayer' is not a date YYYY-MM-DD",
        ),
        (
            ("issue", "--programme", "cotacachi-cuidados", "--period", "2025-12"),
            "period: El programa aún no había empezado en ese mes.",
        ),
    ],
)
def test_bad_arguments_are_refused_naming_them_and_change_nothing(world, args, message):
    with pytest.raises(CommandError) as info:
        run(*args)

    assert str(info.value) == message
    assert models.Issuance.objects.count() == 0


def test_a_bad_registry_file_is_refused_line_by_line(world, tmp_path):
    path = tmp_path / "registro.csv"
    path.write_text("cedula,household_id,birth_date,income,disability\n123,H1,1990-01-01,1,no\n")

    with pytest.raises(CommandError) as info:
        run("import", "--programme", "cotacachi-cuidados", str(path))

    assert str(info.value) == "línea 2, cedula: debe tener 10 dígitos; tiene 3."
    assert models.Member.objects.count() == 4
