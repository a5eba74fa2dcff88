"""`minga demo`: loads the demo data of every app, idempotently (a second run adds nothing),
and prints the demo accounts. Each app that has demo data has a `demo` module with
`load(*, now) -> list[DemoAccount]`; apps load in INSTALLED_APPS order."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils import timezone

from minga.core.accountlist import DemoAccount


class Command(BaseCommand):
    help = "Loads the demo data (idempotent) and prints the demo accounts and their roles."

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        accounts: list[DemoAccount] = []
        for config in apps.get_app_configs():
            if not config.name.startswith("minga.") or find_spec(f"{config.name}.demo") is None:
                continue
            module = import_module(f"{config.name}.demo")
            accounts.extend(module.load(now=now))
            self.stdout.write(f"demo data loaded: {config.label}")
        self.stdout.write("\nDemo accounts (user / password / role / TOTP secret):")
        for a in accounts:
            totp = f"  TOTP secret {a.totp_secret}" if a.totp_secret else ""
            self.stdout.write(f"  {a.username:<22} {a.password:<16} {a.role}{totp}")
