"""API authentication: `Authorization: Bearer <token>`. `TokenAuth(roles)` accepts only tokens
issued for one of those roles."""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from minga.core.roles import Role

from .models import APIToken


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class TokenAuth(HttpBearer):
    def __init__(self, roles: Iterable[Role | str]) -> None:
        super().__init__()
        self.roles = frozenset(str(r) for r in roles)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            APIToken.objects.select_related("user")
            .filter(key_sha256=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None or found.role not in self.roles:
            return None
        APIToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined] # read by services' audit actor
        return found
