"""Accounts: people who sign in, the roles they hold, their second factor and API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from minga.core.roles import Role


class User(AbstractUser):
    person = models.ForeignKey(
        "actors.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("persona"),
    )

    class Meta:
        verbose_name = _("usuario")
        verbose_name_plural = _("usuarios")


class RoleAssignment(models.Model):
    """A role held by a user, optionally scoped to a territory (and everything under it) or to an
    organisation (a delegate acts for one organisation). Period [active_from, active_to)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("rol"), max_length=32, choices=Role.choices)
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territorio"),
    )
    organization = models.ForeignKey(
        "actors.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organización"),
    )
    active_from = models.DateTimeField(_("desde"))
    active_to = models.DateTimeField(_("hasta"), null=True, blank=True)

    class Meta:
        verbose_name = _("rol asignado")
        verbose_name_plural = _("roles asignados")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_to__isnull=True)
                | models.Q(active_to__gt=models.F("active_from")),
                name="role_period_is_forward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role}"


class TOTPDevice(models.Model):
    """A TOTP authenticator (RFC 6238, 30-second steps, 6 digits). A code is accepted once:
    `last_used_step` refuses a replay of the same or an earlier step."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"TOTP · {self.user}"


class APIToken(models.Model):
    """A machine client's token. Only a SHA-256 of the token is stored: a token is 32 random
    bytes, so a fast hash is enough (there is nothing to guess) and lookup stays O(1)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    role = models.CharField(_("rol"), max_length=32, choices=Role.choices)
    name = models.CharField(_("nombre"), max_length=100, blank=True)
    prefix = models.CharField(max_length=8, db_index=True)
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")

    def __str__(self) -> str:
        return f"{self.prefix}… · {self.user} · {self.role}"


class LoginAttempt(models.Model):
    """Sign-in attempts, for throttling: see MINGA_LOGIN_MAX_FAILURES."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M} {'ok' if self.succeeded else 'fail'}"
