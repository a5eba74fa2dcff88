from typing import cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

TOTALS_NAME = _("Totales de cada libro contable")
TOTALS_DESCRIPTION = _(
    "Por libro (moneda o crédito restringido): cuentas, transferencias, débitos y créditos "
    "asentados y pendientes en unidades mínimas, y el hash del último asiento. "
    "Sin datos personales."
)
JOURNAL_NAME = _("Diario encadenado del libro contable")
JOURNAL_DESCRIPTION = _(
    "Cada transferencia con su hash SHA-256, que cubre el hash anterior y los datos de la "
    "transferencia (ver docs/ledger.md): cualquiera puede recalcular la cadena y los saldos. "
    "Las cuentas se identifican solo por número."
)


class LedgerConfig(AppConfig):
    name = "minga.ledger"
    label = "ledger"
    verbose_name = _("Libro contable")

    def ready(self) -> None:
        from minga.core.opendata import Dataset, register

        from . import selectors

        # Dataset names are lazy strings, translated when the page is shown.
        register(
            Dataset(
                slug="ledger-totals",
                name=cast(str, TOTALS_NAME),
                description=cast(str, TOTALS_DESCRIPTION),
                columns=(
                    "ledger",
                    "name",
                    "unit",
                    "scale",
                    "accounts",
                    "transfers",
                    "debits_posted",
                    "credits_posted",
                    "debits_pending",
                    "credits_pending",
                    "last_transfer_hash",
                ),
                rows=selectors.ledger_ledgers_open_rows,
                updated_at=selectors.ledger_updated_at,
                app="ledger",
            )
        )
        register(
            Dataset(
                slug="ledger-journal",
                name=cast(str, JOURNAL_NAME),
                description=cast(str, JOURNAL_DESCRIPTION),
                columns=(
                    "id",
                    "debit_account_id",
                    "credit_account_id",
                    "amount",
                    "ledger",
                    "code",
                    "flags",
                    "pending_id",
                    "timeout",
                    "user_data_128",
                    "user_data_64",
                    "user_data_32",
                    "timestamp",
                    "prev_hash",
                    "hash",
                ),
                rows=selectors.ledger_journal_open_rows,
                updated_at=selectors.ledger_updated_at,
                app="ledger",
            )
        )
