"""Django admin for administrators, read-only. An edit made here would bypass the services, and
so the audit chain, the identifier checks and the directory's search text: organisations and
people are registered and changed through the services' forms and API."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    Membership,
    Organization,
    OrganizationIdentifier,
    Person,
    PersonIdentifier,
    Post,
)

# django-stubs types the admin classes as generics; at run time they are not subscriptable.
if TYPE_CHECKING:
    OrganizationIdentifierInlineBase = admin.TabularInline[OrganizationIdentifier, Organization]
    PersonIdentifierInlineBase = admin.TabularInline[PersonIdentifier, Person]
    OrganizationAdminBase = admin.ModelAdmin[Organization]
    PersonAdminBase = admin.ModelAdmin[Person]
    PostAdminBase = admin.ModelAdmin[Post]
    MembershipAdminBase = admin.ModelAdmin[Membership]
else:
    OrganizationIdentifierInlineBase = PersonIdentifierInlineBase = admin.TabularInline
    OrganizationAdminBase = PersonAdminBase = PostAdminBase = MembershipAdminBase = admin.ModelAdmin


class ReadOnly:
    """Mixed in before the admin class: nothing is added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrganizationIdentifierInline(ReadOnly, OrganizationIdentifierInlineBase):
    model = OrganizationIdentifier
    extra = 0
    readonly_fields = ("scheme", "identifier")
    can_delete = False


@admin.register(Organization)
class OrganizationAdmin(ReadOnly, OrganizationAdminBase):
    list_display = ("name", "classification", "size", "area", "founding_date", "dissolution_date")
    list_filter = ("classification", "size")
    search_fields = ("name", "search_text")
    list_select_related = ("area",)
    raw_id_fields = ("area", "parent")
    readonly_fields = ("created_at", "updated_at", "search_text")
    inlines = [OrganizationIdentifierInline]


class PersonIdentifierInline(ReadOnly, PersonIdentifierInlineBase):
    model = PersonIdentifier
    extra = 0
    readonly_fields = ("scheme", "identifier")
    can_delete = False


@admin.register(Person)
class PersonAdmin(ReadOnly, PersonAdminBase):
    list_display = ("name", "area")
    search_fields = ("name", "given_name", "family_name")
    raw_id_fields = ("area",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [PersonIdentifierInline]


@admin.register(Post)
class PostAdmin(ReadOnly, PostAdminBase):
    list_display = ("label", "role", "organization", "start_date", "end_date")
    raw_id_fields = ("organization", "area")


@admin.register(Membership)
class MembershipAdmin(ReadOnly, MembershipAdminBase):
    list_display = ("person", "organization", "role", "post", "start_date", "end_date")
    list_select_related = ("person", "organization", "post")
    raw_id_fields = ("person", "organization", "post", "on_behalf_of")
