from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "minga.accounts"
    label = "accounts"
    verbose_name = _("Cuentas")

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # last_login is written by accounts.services.login_attempt_record, inside its audited
        # transaction, rather than by Django's unaudited signal handler.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
