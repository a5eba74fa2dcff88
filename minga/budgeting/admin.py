"""The admin only reads: every write goes through the services, which keep the audit log."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Budget, Category, PaperBatch, Process, Project, ProjectUpdate, Result


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdmin):
    list_display = ["slug", "title", "territory", "voting_open_at", "voting_close_at"]
    search_fields = ["slug", "title"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    list_display = ["name", "process", "territory", "amount_cents"]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["name", "process"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["title", "process", "budget", "status", "selected", "implementation_status"]
    list_filter = ["status", "selected"]


@admin.register(ProjectUpdate)
class ProjectUpdateAdmin(ReadOnlyAdmin):
    list_display = ["project", "update_date", "status", "progress_percent"]


@admin.register(PaperBatch)
class PaperBatchAdmin(ReadOnlyAdmin):
    list_display = ["filename", "process", "uploaded_by", "uploaded_at", "ballots_count"]


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["budget", "rule", "completion", "voters", "computed_at"]
