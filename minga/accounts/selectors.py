"""Reads about accounts: roles held, whether 2FA is required, object-level access checks."""

from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import RoleAssignment, User


def roles_active(*, user: User, at: datetime | None = None) -> QuerySet[RoleAssignment]:
    at = at or timezone.now()
    return RoleAssignment.objects.filter(user=user, active_from__lte=at).filter(
        Q(active_to__isnull=True) | Q(active_to__gt=at)
    )


def user_has_role(*, user: User, role: str, at: datetime | None = None) -> bool:
    return roles_active(user=user, at=at).filter(role=role).exists()


def user_requires_2fa(*, user: User) -> bool:
    if user.is_superuser or user.is_staff:
        return True
    return roles_active(user=user).filter(role__in=settings.MINGA_2FA_REQUIRED_ROLES).exists()
