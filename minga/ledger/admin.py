"""Read-only admin: the ledger is written only through its services (create_accounts,
create_transfers), so that every write is checked, journaled and audited."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Ledger, PendingTransfer, Transfer


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg] # generic over any model
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ledger)
class LedgerAdmin(ReadOnly):
    list_display = ("number", "name", "unit", "scale")


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("id", "ledger", "code", "flags", "debits_posted", "credits_posted")
    list_filter = ("ledger",)
    search_fields = ("id",)


@admin.register(Transfer)
class TransferAdmin(ReadOnly):
    list_display = ("id", "timestamp", "ledger", "debit_account_id", "credit_account_id", "amount")
    list_filter = ("ledger",)
    search_fields = ("id",)


@admin.register(PendingTransfer)
class PendingTransferAdmin(ReadOnly):
    list_display = ("transfer_id", "status", "expires_at")
    list_filter = ("status",)
