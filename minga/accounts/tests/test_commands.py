import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from minga.accounts.auth import token_digest
from minga.accounts.models import APIToken, RoleAssignment, User
from minga.accounts.tests.helpers import PASSWORD, give_role, make_user, territory_tree
from minga.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(monkeypatch):
    """Runs `minga …` as the shell would: bad arguments end in SystemExit with a status. (The
    command runner closes the database connections when it ends; the test still needs its
    own, so that step is skipped here.)"""
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)

    def run(*argv):
        ManagementUtility(["minga", *argv]).execute()

    return run


def test_token_create_prints_the_token_once_and_stores_its_hash(capsys):
    user = make_user("bot")
    give_role(user, "operator")

    call_command("token", "create", "--user", "bot", "--role", "operator", "--name", "ledger")

    clear = capsys.readouterr().out.strip()
    token = APIToken.objects.get()
    assert clear.startswith("mgt_")
    assert token.key_sha256 == token_digest(clear)
    assert (token.role, token.name, token.user) == ("operator", "ledger", user)


def test_token_create_for_an_unknown_user_exits_2_and_creates_nothing(capsys, run):
    with pytest.raises(SystemExit) as exit_:
        run("token", "create", "--user", "nadie", "--role", "operator")

    assert exit_.value.code == 2
    assert "--user: no existe el usuario «nadie»." in capsys.readouterr().err
    assert APIToken.objects.count() == 0


def test_token_create_with_an_unknown_role_exits_2_and_creates_nothing(capsys, run):
    make_user("bot")

    with pytest.raises(SystemExit) as exit_:
        run("token", "create", "--user", "bot", "--role", "jefe")

    assert exit_.value.code == 2
    assert "--role: rol desconocido «jefe»; los roles son: resident, delegate, official" in (
        capsys.readouterr().err
    )
    assert APIToken.objects.count() == 0


def test_token_create_for_a_role_not_held_exits_2_and_creates_nothing():
    make_user("bot")

    with pytest.raises(
        CommandError, match=r"^--role: El usuario «bot» no tiene el rol «operator».$"
    ) as caught:
        call_command("token", "create", "--user", "bot", "--role", "operator")

    assert caught.value.returncode == 2
    assert APIToken.objects.count() == 0


def test_token_create_without_its_arguments_exits_2(capsys, run):
    with pytest.raises(SystemExit) as exit_:
        run("token", "create", "--user", "bot")

    assert exit_.value.code == 2
    assert "the following arguments are required: --role" in capsys.readouterr().err


def test_token_list_shows_prefixes_and_never_the_tokens(capsys):
    user = make_user("bot")
    give_role(user, "operator")
    call_command("token", "create", "--user", "bot", "--role", "operator")
    clear = capsys.readouterr().out.strip()

    call_command("token", "list", "--user", "bot")

    out = capsys.readouterr().out
    assert f"mgt_{clear[4:12]}…" in out
    assert clear not in out
    assert "activo" in out


def test_token_revoke_by_prefix_revokes_it(capsys):
    user = make_user("bot")
    give_role(user, "operator")
    call_command("token", "create", "--user", "bot", "--role", "operator")
    clear = capsys.readouterr().out.strip()

    call_command("token", "revoke", clear[:12])

    assert capsys.readouterr().out.strip() == f"Token {clear[:12]} revocado."
    assert APIToken.objects.get().revoked_at is not None


def test_token_revoke_of_an_unknown_prefix_exits_2(capsys, run):
    with pytest.raises(SystemExit) as exit_:
        run("token", "revoke", "mgt_zzzzzzzz")

    assert exit_.value.code == 2
    assert "ningún token empieza por «mgt_zzzzzzzz»." in capsys.readouterr().err


def test_user_create_makes_an_official_of_a_territory(monkeypatch, capsys):
    t = territory_tree()
    monkeypatch.setenv("MINGA_PASSWORD", PASSWORD)

    call_command("user", "create", "fernanda", "--role", "official", "--territory", "EC:1003")

    user = User.objects.get(username="fernanda")
    assert user.check_password(PASSWORD)
    assert RoleAssignment.objects.get(user=user).territory == t["cotacachi"]
    assert capsys.readouterr().out.strip() == "Usuario fernanda creado."


def test_user_create_with_an_unknown_territory_exits_2_and_creates_nothing(
    monkeypatch, capsys, run
):
    monkeypatch.setenv("MINGA_PASSWORD", PASSWORD)

    with pytest.raises(SystemExit) as exit_:
        run("user", "create", "fernanda", "--role", "official", "--territory", "EC:9999")

    assert exit_.value.code == 2
    assert "--territory: no existe el territorio EC:9999." in capsys.readouterr().err
    assert User.objects.count() == 0


def test_user_create_whose_role_is_refused_leaves_no_account_behind(monkeypatch):
    monkeypatch.setenv("MINGA_PASSWORD", PASSWORD)

    with pytest.raises(CommandError, match=r"^--territory: Este rol requiere un territorio.$"):
        call_command("user", "create", "fernanda", "--role", "official")

    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_user_create_with_a_weak_password_exits_2(monkeypatch):
    monkeypatch.setenv("MINGA_PASSWORD", "123")

    with pytest.raises(CommandError, match=r"^contraseña: La contraseña es demasiado corta"):
        call_command("user", "create", "fernanda")

    assert User.objects.count() == 0


def test_user_create_with_a_taken_username_names_the_argument(monkeypatch):
    make_user("fernanda")
    monkeypatch.setenv("MINGA_PASSWORD", PASSWORD)

    with pytest.raises(CommandError, match=r"^USERNAME: Ya existe un usuario «Fernanda».$"):
        call_command("user", "create", "Fernanda")

    assert User.objects.count() == 1
