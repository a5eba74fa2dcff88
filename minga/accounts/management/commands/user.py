"""`minga user create USERNAME [--role R [--territory CC:CODE | --organization ID]]
[--email E] [--staff] [--superuser]`: creates an account, with its first role. The password is
asked for (or read from the MINGA_PASSWORD environment variable, for scripts). Bad arguments
print a clear message and exit with status 2, having created nothing."""

import getpass
import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minga.accounts.selectors import organization_by_id, territory_by_code
from minga.accounts.services import AccountError, role_assign, user_create
from minga.core.roles import Role

USAGE_ERROR = 2
ACTOR = "cli"
# How the command's user names each input that a service can refuse.
FIELD_LABELS = {"username": "USERNAME", "password": "contraseña"}


class Command(BaseCommand):
    help = "Accounts: `user create USERNAME` with an optional first role."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create}")
        create = actions.add_parser("create", help="create an account")
        create.add_argument("username")
        create.add_argument("--email", default="")
        create.add_argument("--role", default="", help=f"one of: {', '.join(Role.values)}")
        create.add_argument("--territory", default="", help="COUNTRY:CODE, e.g. EC:1003")
        create.add_argument("--organization", default="", help="organisation id (delegates)")
        create.add_argument("--staff", action="store_true", help="may use the admin")
        create.add_argument("--superuser", action="store_true", help="all permissions")

    def _fail(self, message: str) -> CommandError:
        return CommandError(message, returncode=USAGE_ERROR)

    def _password(self) -> str:
        from_env = os.environ.get("MINGA_PASSWORD")
        if from_env:
            return from_env
        if not sys.stdin.isatty():
            raise self._fail(_("contraseña: defina MINGA_PASSWORD o ejecute en una terminal."))
        first = getpass.getpass(_("Contraseña: "))
        if first != getpass.getpass(_("Repita la contraseña: ")):
            raise self._fail(_("contraseña: las dos no coinciden."))
        return first

    def _scope(self, options: dict[str, Any]) -> tuple[Any, Any]:
        territory = organization = None
        if options["territory"]:
            country, sep, code = options["territory"].partition(":")
            if not sep or not country or not code:
                raise self._fail(_("--territory: use PAÍS:CÓDIGO, por ejemplo EC:1003."))
            territory = territory_by_code(country_code=country, code=code)
            if territory is None:
                raise self._fail(
                    _("--territory: no existe el territorio %(t)s.") % {"t": options["territory"]}
                )
        if options["organization"]:
            if not options["organization"].isdecimal():
                raise self._fail(_("--organization: debe ser el número de la organización."))
            organization = organization_by_id(organization_id=int(options["organization"]))
            if organization is None:
                raise self._fail(
                    _("--organization: no existe la organización %(o)s.")
                    % {"o": options["organization"]}
                )
        return territory, organization

    def handle(self, *args: object, **options: Any) -> None:
        role = options["role"]
        if role and role not in Role.values:
            raise self._fail(
                _("--role: rol desconocido «%(r)s»; los roles son: %(all)s.")
                % {"r": role, "all": ", ".join(Role.values)}
            )
        if (options["territory"] or options["organization"]) and not role:
            raise self._fail(_("--territory y --organization acompañan a --role."))
        territory, organization = self._scope(options)
        password = self._password()
        now = timezone.now()
        try:
            # One transaction: a refused role leaves no account behind.
            with transaction.atomic():
                user = user_create(
                    actor=ACTOR,
                    username=options["username"],
                    password=password,
                    email=options["email"],
                    is_staff=options["staff"] or options["superuser"],
                    is_superuser=options["superuser"],
                    now=now,
                )
                if role:
                    role_assign(
                        actor=ACTOR,
                        user=user,
                        role=role,
                        territory=territory,
                        organization=organization,
                        active_from=now,
                        now=now,
                    )
        except AccountError as exc:
            label = FIELD_LABELS.get(exc.field, f"--{exc.field.replace('_', '-')}")
            raise self._fail(f"{label}: {exc.message}" if exc.field else exc.message) from exc
        self.stdout.write(_("Usuario %(u)s creado.") % {"u": user.get_username()})
