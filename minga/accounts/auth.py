"""API authentication: `Authorization: Bearer <token>`, or the signed-in session of the pages.
`TokenAuth(roles)` accepts only tokens issued for one of those roles, whose owner is active and
still holds that role. `session_auth` accepts a signed-in session only once its user has passed
the second factor where their roles require one (the pages' TwoFactorRequiredMiddleware leaves
/api/ to it): a password alone never reaches an official's API writes."""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from minga.core.roles import Role

from .middleware import SESSION_KEY
from .models import APIToken
from .selectors import user_has_role, user_requires_2fa


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class TokenAuth(HttpBearer):
    def __init__(self, roles: Iterable[Role | str]) -> None:
        super().__init__()
        self.roles = frozenset(str(r) for r in roles)
        assert self.roles <= set(Role.values), f"unknown roles: {self.roles - set(Role.values)}"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = timezone.now()
        found = (
            APIToken.objects.select_related("user")
            .filter(key_sha256=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        if found.role not in self.roles:
            return None
        # A token never outlives its owner's role: when the role ends, so does the token.
        if not user_has_role(user=found.user, role=found.role, at=now):
            return None
        APIToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined] # read by services' audit actor
        return found


class VerifiedSessionAuth(SessionAuth):
    """Django's session, as ninja's `django_auth`, but not half-way through a sign-in: a user
    whose roles require a second factor counts as signed in only after passing it."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if not request.session.get(SESSION_KEY) and user_requires_2fa(user=user):
            return None
        return user


session_auth = VerifiedSessionAuth()
