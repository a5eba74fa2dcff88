"""Administrators see territories here; they change them only through the importer
(`minga territories import`), which keeps the paths consistent and writes the audit log."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Territory, TerritoryLevel


class _ReadOnly(admin.ModelAdmin):  # read-only admin for any model
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TerritoryLevel)
class TerritoryLevelAdmin(_ReadOnly):
    list_display = ("country_code", "rank", "key", "name")
    list_filter = ("country_code",)


@admin.register(Territory)
class TerritoryAdmin(_ReadOnly):
    list_display = ("code", "name", "level", "parent", "country_code", "updated_at")
    list_filter = ("country_code", "level")
    search_fields = ("code", "name", "name_key")
    list_select_related = ("level", "parent")
    exclude = ("geometry",)
    readonly_fields = ("path", "depth", "geometry_source", "created_at", "updated_at")
