"""`minga token create --user U --role R [--name N]` issues an API token and prints it once;
`minga token revoke PREFIX` revokes one; `minga token list --user U` lists a user's tokens.
Bad arguments print a clear message and exit with status 2, having changed nothing."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from minga.accounts.selectors import tokens_by_prefix, tokens_of, user_by_username
from minga.accounts.services import TOKEN_PREFIX, AccountError, token_create, token_revoke
from minga.core.roles import Role

USAGE_ERROR = 2
ACTOR = "cli"


class Command(BaseCommand):
    help = "API tokens for machine clients: create (printed once), revoke, list."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{create,revoke,list}"
        )
        create = actions.add_parser("create", help="issue a token (printed once, stored hashed)")
        create.add_argument("--user", required=True, help="username of the token's owner")
        create.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        create.add_argument("--name", default="", help="what the token is for")
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix", help="the token's first characters, as `token list` shows")
        listing = actions.add_parser("list", help="list a user's tokens (never the tokens)")
        listing.add_argument("--user", required=True, help="username")

    def handle(self, *args: object, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["user"], options["role"], options["name"])
        elif action == "revoke":
            self._revoke(options["prefix"])
        else:
            self._list(options["user"])

    def _user(self, username: str) -> Any:
        user = user_by_username(username=username)
        if user is None:
            raise CommandError(
                _("--user: no existe el usuario «%(u)s».") % {"u": username}, returncode=USAGE_ERROR
            )
        return user

    def _create(self, username: str, role: str, name: str) -> None:
        if role not in Role.values:
            raise CommandError(
                _("--role: rol desconocido «%(r)s»; los roles son: %(all)s.")
                % {"r": role, "all": ", ".join(Role.values)},
                returncode=USAGE_ERROR,
            )
        user = self._user(username)
        try:
            issued = token_create(actor=ACTOR, user=user, role=role, name=name, now=timezone.now())
        except AccountError as exc:
            field = f"--{exc.field}: " if exc.field else ""
            raise CommandError(field + exc.message, returncode=USAGE_ERROR) from exc
        self.stdout.write(issued.clear)
        self.stderr.write(
            _("Token creado para %(u)s con el rol %(r)s. Guárdalo ahora: no se vuelve a mostrar.")
            % {"u": user.get_username(), "r": role}
        )

    def _revoke(self, prefix: str) -> None:
        found = tokens_by_prefix(prefix=prefix)
        if not found:
            raise CommandError(
                _("ningún token empieza por «%(p)s».") % {"p": prefix}, returncode=USAGE_ERROR
            )
        if len(found) > 1:
            raise CommandError(
                _("varios tokens empiezan por «%(p)s»; revócalos desde el perfil de su dueño.")
                % {"p": prefix},
                returncode=USAGE_ERROR,
            )
        try:
            token = token_revoke(actor=ACTOR, token=found[0], now=timezone.now())
        except AccountError as exc:
            raise CommandError(exc.message, returncode=USAGE_ERROR) from exc
        self.stdout.write(_("Token %(p)s revocado.") % {"p": TOKEN_PREFIX + token.prefix})

    def _list(self, username: str) -> None:
        user = self._user(username)
        for t in tokens_of(user=user):
            state = (
                _("revocado %(at)s") % {"at": t.revoked_at.isoformat()}
                if t.revoked_at
                else _("activo")
            )
            self.stdout.write(
                f"{TOKEN_PREFIX}{t.prefix}…  {t.role:<15} {t.created_at.isoformat()}  "
                f"{state}  {t.name}"
            )
