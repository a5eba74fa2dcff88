"""The Django admin, for administrators (who pass the 2FA check first: /admin/ is not exempt
from TwoFactorRequiredMiddleware). Secrets are never shown: not the TOTP secret, not the
token hash.

Accounts are read-only here: they are created and changed by the audited services
(`minga user create`, `minga token`, the role services), so that every change lands in the
audit chain. Django's own admin sign-in page is replaced by the site's, which is throttled and
records every attempt."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .models import APIToken, RoleAssignment, TOTPDevice, User

# The admin classes are generic to the type checker only (django-stubs-ext is not patched in at
# run time).
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
    _UserAdmin = DjangoUserAdmin[User]
else:
    _ModelAdmin, _TabularInline, _UserAdmin = admin.ModelAdmin, admin.TabularInline, DjangoUserAdmin


class ReadOnlyAdmin(_ModelAdmin):
    """Rows that change only through audited services (`minga token`, `minga user`)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RoleAssignmentInline(_TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "territory", "organization", "active_from", "active_to")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """/admin/login/ sends to the site's sign-in page. Django's admin login would check the
    password without the throttle and without recording the attempt: an open door for guessing
    an administrator's password. Nothing posted here is looked at."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    return redirect_to_login(next_url, login_url=reverse("accounts:login"))


# The default site is the only one; its URLs are built after the admin modules are loaded.
admin.site.login = admin_login  # type: ignore[method-assign] # replacing the sign-in view is the point


@admin.register(User)
class UserAdmin(ReadOnlyAdmin, _UserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ("username", "email", "is_active", "is_staff", "is_superuser", "last_login")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "territory", "organization", "active_from", "active_to")
    list_filter = ("role",)
    search_fields = ("user__username",)


@admin.register(APIToken)
class APITokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "role", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("prefix", "user__username", "name")
    # The hash is not a secret in itself, but there is nothing to edit: tokens are issued and
    # revoked by `minga token`, so that each change is audited.
    fields = ("user", "role", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at", "confirmed_at")
    # No `secret`: whoever reads it can make codes.
    fields = ("user", "created_at", "confirmed_at", "last_used_step")
    readonly_fields = fields
