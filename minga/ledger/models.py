"""The ledger's tables. Ids are 128-bit integers stored as 39-digit zero-padded decimal text (so
that text order is numeric order on SQLite and PostgreSQL under any collation); amounts and
balances are signed 64-bit integers in minor units (limit 2**63 - 1, see domain.AMOUNT_MAX).

Transfers are immutable (triggers in migration 0002 refuse UPDATE and DELETE); accounts are never
deleted and their identity columns never change (triggers too); balances live on the account rows
and `minga ledger verify` recomputes them from the transfers."""

from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from .domain import A_CMNED, A_DMNEC, ID_WIDTH, PendingStatus


class Ledger(models.Model):
    """What a ledger number means: an asset (a currency, or a restricted credit such as
    elder-care hours). Accounts name a ledger by number; only accounts of one ledger transact."""

    number = models.BigIntegerField(_("número"), primary_key=True)
    name = models.CharField(_("nombre"), max_length=200)
    unit = models.CharField(_("unidad"), max_length=40)
    # Amounts are integers in minor units; `scale` says how many decimals a minor unit is
    # (2 for cents, 0 for whole hours).
    scale = models.PositiveSmallIntegerField(_("decimales"), default=0)
    created_at = models.DateTimeField(_("creado"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("libro")
        verbose_name_plural = _("libros")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=4294967295), name="ledger_number_is_u32"
            ),
            models.CheckConstraint(condition=Q(scale__lte=18), name="ledger_scale_at_most_18"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.name}"


class Account(models.Model):
    id = models.CharField(primary_key=True, max_length=ID_WIDTH)
    ledger = models.BigIntegerField(_("libro"))
    code = models.IntegerField(_("código"))
    flags = models.IntegerField(_("opciones"), default=0)
    debits_pending = models.BigIntegerField(_("débitos pendientes"), default=0)
    debits_posted = models.BigIntegerField(_("débitos asentados"), default=0)
    credits_pending = models.BigIntegerField(_("créditos pendientes"), default=0)
    credits_posted = models.BigIntegerField(_("créditos asentados"), default=0)
    user_data_128 = models.CharField(max_length=ID_WIDTH)
    user_data_64 = models.BigIntegerField(default=0)
    user_data_32 = models.BigIntegerField(default=0)
    timestamp = models.BigIntegerField(_("marca de tiempo (ns)"), unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("cuenta")
        verbose_name_plural = _("cuentas")
        indexes = [models.Index(fields=["ledger", "id"], name="ledger_account_ledger_id")]
        constraints = [
            models.CheckConstraint(
                condition=Q(debits_pending__gte=0)
                & Q(debits_posted__gte=0)
                & Q(credits_pending__gte=0)
                & Q(credits_posted__gte=0),
                name="ledger_account_balances_not_negative",
            ),
            # The account's own limit, said a third time: in the database.
            models.CheckConstraint(
                condition=Q(Exact(F("flags").bitand(A_DMNEC), 0))
                | Q(LessThanOrEqual(F("debits_pending") + F("debits_posted"), F("credits_posted"))),
                name="ledger_account_debits_must_not_exceed_credits",
            ),
            models.CheckConstraint(
                condition=Q(Exact(F("flags").bitand(A_CMNED), 0))
                | Q(
                    LessThanOrEqual(F("credits_pending") + F("credits_posted"), F("debits_posted"))
                ),
                name="ledger_account_credits_must_not_exceed_debits",
            ),
        ]

    def __str__(self) -> str:
        return f"{int(self.id)} ({self.ledger})"


class Transfer(models.Model):
    """One entry of the journal: the transfer and its chain hash, which covers the previous
    entry's hash and this transfer's canonical bytes (domain.transfer_canonical_bytes). The
    journal's order is `timestamp`, assigned by the ledger and strictly increasing."""

    id = models.CharField(primary_key=True, max_length=ID_WIDTH)
    # No database foreign key: accounts are never deleted (a trigger refuses it) and the write
    # path checks that both accounts exist while it holds their row locks, so the constraint
    # would only re-check each row at COMMIT, which costs a third of a batch's time on
    # PostgreSQL. `minga ledger verify` checks that every transfer's accounts exist.
    debit_account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    amount = models.BigIntegerField(_("monto"))
    ledger = models.BigIntegerField(_("libro"))
    code = models.IntegerField(_("código"))
    flags = models.IntegerField(_("opciones"), default=0)
    pending_id = models.CharField(max_length=ID_WIDTH)
    timeout = models.BigIntegerField(default=0)
    user_data_128 = models.CharField(max_length=ID_WIDTH)
    user_data_64 = models.BigIntegerField(default=0)
    user_data_32 = models.BigIntegerField(default=0)
    timestamp = models.BigIntegerField(_("marca de tiempo (ns)"), unique=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["timestamp"]
        verbose_name = _("transferencia")
        verbose_name_plural = _("transferencias")
        indexes = [
            models.Index(fields=["debit_account", "timestamp"], name="ledger_tr_debit_ts"),
            models.Index(fields=["credit_account", "timestamp"], name="ledger_tr_credit_ts"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_transfer_amount_gt_0"),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="ledger_transfer_accounts_differ",
            ),
        ]

    def __str__(self) -> str:
        return f"{int(self.id)}: {self.amount}"


class PendingTransfer(models.Model):
    """The one mutable fact about a pending transfer: whether it is still pending, or was
    posted, voided or expired. Verify derives this from the journal and compares."""

    STATUS_CHOICES = [
        (PendingStatus.PENDING, _("pendiente")),
        (PendingStatus.POSTED, _("asentada")),
        (PendingStatus.VOIDED, _("anulada")),
        (PendingStatus.EXPIRED, _("vencida")),
    ]
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    status = models.PositiveSmallIntegerField(choices=STATUS_CHOICES)
    expires_at = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("transferencia pendiente")
        verbose_name_plural = _("transferencias pendientes")
        indexes = [
            models.Index(
                fields=["expires_at"],
                name="ledger_pending_expiry",
                condition=Q(status=PendingStatus.PENDING, expires_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.status}"


class LedgerHead(models.Model):
    """A single row: the journal's last timestamp and hash, how many entries it has, and the
    time through which timed-out pending transfers have been expired. Every write locks it, so
    timestamps stay strictly increasing and the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_timestamp = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    transfers_count = models.BigIntegerField(default=0)
    expired_through = models.BigIntegerField(default=0)
    # The earliest timeout among the pending transfers still pending (None: none has one). A
    # writer that locks accounts before the head learns from it, under the head lock, whether
    # a reservation fell due that it did not lock.
    next_expiry = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_head_single")]

    def __str__(self) -> str:
        return f"ledger head #{self.transfers_count}"
