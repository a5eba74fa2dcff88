"""Social income for care: programmes, their categories (one ledger each), the parameters the
board approves (bands, allotments, eligibility, provider rates), enrolled households, wallets,
accredited providers, and the records that mirror the ledger's transfers (issues, expiries,
services). Value itself lives only in the ledger; these rows say what each transfer was for."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minga.core.fields import RowIdAutoField


class Unit(models.TextChoices):
    # Hours are counted in hundredths (scale 2) so that quarter hours are exact.
    HOURS = "hours", _("Horas de servicio (centésimas)")
    CURRENCY = "currency", _("Moneda (unidades mínimas)")


class Eligibility(models.TextChoices):
    CHILD_UNDER_6 = "child_under_6", _("Hogar con un niño o niña menor de 6 años")
    MEMBER_65_PLUS = "member_65_plus", _("Hogar con una persona de 65 años o más")
    DISABILITY = "disability", _("Hogar con una discapacidad registrada")
    ANY_HOUSEHOLD = "any_household", _("Cualquier hogar")


class Programme(models.Model):
    slug = models.SlugField(_("identificador"), max_length=60, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.PROTECT, related_name="+"
    )
    unit = models.CharField(_("unidad"), max_length=16, choices=Unit.choices)
    currency_code = models.CharField(_("moneda"), max_length=3, blank=True)
    # The registry's personal identifier (minga.core.identifiers scheme): data, not Ecuador-only.
    identifier_scheme = models.CharField(max_length=40, default="EC-CEDULA")
    validity_months = models.PositiveSmallIntegerField(_("vigencia en meses"), default=3)
    confirm_window_days = models.PositiveSmallIntegerField(_("días para confirmar"), default=7)
    # The joint board (government and citizen-user members) that approves parameter changes.
    board = models.ForeignKey(
        "councils.Council", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField(_("inicio"))
    # Settlement: providers are paid in this currency; one ledger unit is worth this many of its
    # minor units (an hours programme: cents per hundredth of an hour).
    settlement_currency = models.CharField(max_length=3, default="USD")
    settlement_minor_per_unit = models.PositiveIntegerField(default=1)
    debtor_name = models.CharField(max_length=140, blank=True)
    debtor_account = models.CharField(max_length=34, blank=True)
    debtor_bic = models.CharField(max_length=11, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(validity_months__gte=1), name="si_validity_min"),
            models.CheckConstraint(
                condition=Q(unit="hours") | ~Q(currency_code=""), name="si_currency_needs_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="categories")
    code = models.SlugField(_("código"), max_length=40)
    name = models.CharField(_("nombre"), max_length=120)
    # Each category is its own ledger asset, so credits cannot cross categories.
    ledger = models.PositiveIntegerField(unique=True)
    fund_account_id = models.CharField(max_length=39)
    # Where settled credits go: the programme's clearing account in this category's ledger.
    settlement_account_id = models.CharField(max_length=39, blank=True)

    class Meta:
        ordering = ["programme_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="si_category_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Band(models.Model):
    """An income band: household income per person from `min_income_cents` (inclusive) to the
    next band's minimum. Its thresholds are parameters (ParameterValue), numbered 1 upwards."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="bands")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(_("nombre"), max_length=80)

    class Meta:
        ordering = ["programme_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="si_band_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ParameterChange(models.Model):
    """A set of parameter values proposed together. Initial values (set-up) apply at once; every
    later change applies only once the board has approved it in a recorded vote."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Propuesto")
        APPROVED = "approved", _("Aprobado")
        REJECTED = "rejected", _("Rechazado")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="changes")
    summary = models.CharField(_("resumen"), max_length=300)
    values = models.JSONField()  # {key: value}
    effective_date = models.DateField(_("vigente desde"))
    status = models.CharField(max_length=16, choices=Status.choices)
    motion = models.ForeignKey(
        "councils.Motion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["programme_id", "effective_date", "id"]

    def __str__(self) -> str:
        return f"{self.summary} ({self.effective_date})"


class ParameterValue(models.Model):
    """One parameter's value from `active_from` on. Keys: `band:<n>:min_income`,
    `allotment:<band>:<category code>`, `eligibility:<category code>`, `rate:<accreditation id>`.
    The value in force on a date is the one with the latest active_from on or before it."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="parameters")
    key = models.CharField(max_length=80)
    value = models.JSONField()
    active_from = models.DateField()
    change = models.ForeignKey(
        ParameterChange, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["programme_id", "key", "active_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "key", "active_from"], name="si_parameter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} ({self.active_from})"


class Household(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="households")
    registry_id = models.CharField(_("hogar"), max_length=40)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["programme_id", "registry_id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "registry_id"], name="si_household_unique")
        ]

    def __str__(self) -> str:
        return self.registry_id


class Member(models.Model):
    """A person of an enrolled household. Private: income and disability are shown only to the
    person and to programme officials of the territory."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    cedula = models.CharField(_("cédula"), max_length=20)
    birth_date = models.DateField(_("fecha de nacimiento"))
    income_cents = models.BigIntegerField(_("ingreso mensual"))
    disability = models.BooleanField(_("discapacidad registrada"), default=False)
    # The resident's sign-in account, linked by an official after checking their identity
    # (a user whose person carries this cédula is recognised without a link).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["household_id", "birth_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "cedula"], name="si_member_unique"),
            models.CheckConstraint(condition=Q(income_cents__gte=0), name="si_income_nonneg"),
        ]

    def __str__(self) -> str:
        return self.cedula


class ImportRun(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="imports")
    actor_label = models.CharField(max_length=150)
    filename = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField()
    changes = models.JSONField()  # [{"what": one of CHANGE_KINDS, "cedula" or "household", ...}]
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.imported_at}"

    def counts(self) -> dict[str, int]:
        """How many changes of each kind the import made (kinds with none count 0)."""
        out = dict.fromkeys(CHANGE_KINDS, 0)
        for change in self.changes:
            out[change["what"]] += 1
        return out


# What an import run's `changes` record, one entry each.
CHANGE_KINDS = ("household_added", "added", "updated", "removed")


class Wallet(models.Model):
    id = RowIdAutoField(primary_key=True)
    # Indexed by si_wallet_unique, which starts with it.
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="wallets", db_index=False
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="wallets")
    account_id = models.CharField(max_length=39, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["household", "category"], name="si_wallet_unique")
        ]

    def __str__(self) -> str:
        return self.account_id


class AccreditationStatus(models.TextChoices):
    ACTIVE = "active", _("Activa")
    SUSPENDED = "suspended", _("Suspendida")
    EXPIRED = "expired", _("Vencida")


class Accreditation(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="accreditations"
    )
    organization = models.ForeignKey(
        "actors.Organization", on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AccreditationStatus.choices)
    valid_from = models.DateField(_("desde"))
    valid_to = models.DateField(_("hasta"), null=True, blank=True)  # exclusive
    account_id = models.CharField(max_length=39, unique=True)
    # Where settlements are paid (an IBAN or a local account number) and the bank's BIC.
    bank_account = models.CharField(max_length=34, blank=True)
    bank_bic = models.CharField(max_length=11, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["programme_id", "organization_id", "category_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organization", "category"], name="si_accreditation_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="si_accreditation_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.category_id}"


class Issuance(models.Model):
    """A month's allotment credited to a wallet by one ledger transfer (id derived from
    programme, period, household and category, so a rerun answers `exists`)."""

    id = RowIdAutoField(primary_key=True)
    # Indexed by si_issue_once, which starts with it.
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="issuances", db_index=False
    )
    # Indexed by si_issue_category_period, which starts with it.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    period_date = models.DateField()  # the first day of the month
    amount = models.BigIntegerField()
    transfer_id = models.CharField(max_length=39, unique=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["period_date", "id"]
        # What a month's run finds done reads that month's rows only, not every month's.
        indexes = [
            models.Index(fields=["category", "period_date"], name="si_issue_category_period")
        ]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "period_date"], name="si_issue_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="si_issue_positive"),
        ]

    def __str__(self) -> str:
        return self.transfer_id


class Expiry(models.Model):
    """Credits of the months up to `through_period_date` that were not spent in time, returned to
    the programme by one ledger transfer."""

    id = RowIdAutoField(primary_key=True)
    # Indexed by si_expire_once, which starts with it.
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="expiries", db_index=False
    )
    # Indexed by si_expire_category_through, which starts with it.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    through_period_date = models.DateField()
    amount = models.BigIntegerField()
    transfer_id = models.CharField(max_length=39, unique=True)
    expired_at = models.DateTimeField()

    class Meta:
        ordering = ["through_period_date", "id"]
        indexes = [
            models.Index(
                fields=["category", "through_period_date"], name="si_expire_category_through"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "through_period_date"], name="si_expire_once"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="si_expire_nonneg"),
        ]

    def __str__(self) -> str:
        return self.transfer_id


class MonthTotal(models.Model):
    """Per category and month, the sums of the issuance and expiry rows, kept in the same
    transaction as each batch of them: the open books read one row per month and category
    instead of a million rows per month. `issued` and `beneficiaries` are those of the issuances
    of that month (one per household and category); `expired` those of the expiries recorded in
    that month (the open books' month of an expiry, in the platform's time zone)."""

    # Indexed by si_month_total_once, which starts with it.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    month = models.DateField()  # the first day of the month
    issued = models.BigIntegerField(default=0)
    beneficiaries = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "category"]
        constraints = [
            models.UniqueConstraint(fields=["category", "month"], name="si_month_total_once")
        ]

    def __str__(self) -> str:
        return f"{self.category_id}/{self.month:%Y-%m}"


class ServiceStatus(models.TextChoices):
    PENDING = "pending", _("Por confirmar")
    CONFIRMED = "confirmed", _("Confirmado")
    AUTO_CONFIRMED = "auto_confirmed", _("Confirmado automáticamente")
    DISPUTED = "disputed", _("Impugnado")


class Service(models.Model):
    """A service delivered, recorded by a provider's delegate: a pending ledger transfer from the
    household's wallet to the provider, posted on confirmation and voided on dispute."""

    accreditation = models.ForeignKey(
        Accreditation, on_delete=models.PROTECT, related_name="services"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="services")
    service_date = models.DateField(_("fecha"))
    hundredths = models.PositiveIntegerField(_("horas"))  # hours x 100
    amount = models.BigIntegerField()
    transfer_id = models.CharField(max_length=39, unique=True)
    resolve_transfer_id = models.CharField(max_length=39, blank=True)
    status = models.CharField(max_length=16, choices=ServiceStatus.choices)
    code_sha256 = models.CharField(max_length=64)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    settlement = models.ForeignKey(
        "Settlement", on_delete=models.PROTECT, null=True, blank=True, related_name="services"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # The same service (provider, household, category, day, hours) is recorded once,
            # unless the first record was disputed.
            models.UniqueConstraint(
                fields=["accreditation", "wallet", "service_date", "hundredths"],
                condition=~Q(status="disputed"),
                name="si_service_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="si_service_positive"),
            models.CheckConstraint(condition=Q(hundredths__gt=0), name="si_service_hours"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="si_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(status__in=["confirmed", "auto_confirmed"]),
                name="si_rating_after_confirmation",
            ),
        ]

    def __str__(self) -> str:
        return self.transfer_id


class SettlementBatch(models.Model):
    """Redeemed credits up to a date, moved out of the providers' accounts by pending ledger
    transfers and paid by the bank; its files' total equals the ledger total of the batch."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batches")
    until_date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-until_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "until_date"], name="si_batch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.until_date}"


class SettlementStatus(models.TextChoices):
    PENDING = "pending", _("Enviado al banco")
    PAID = "paid", _("Pagado")
    REJECTED = "rejected", _("Rechazado")


class Settlement(models.Model):
    batch = models.ForeignKey(SettlementBatch, on_delete=models.PROTECT, related_name="items")
    accreditation = models.ForeignKey(Accreditation, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()  # ledger units
    amount_minor = models.BigIntegerField()  # settlement currency minor units
    # The pending ledger transfer; its id (at most 35 digits) is the payment's EndToEndId.
    transfer_id = models.CharField(max_length=39, unique=True)
    status = models.CharField(max_length=16, choices=SettlementStatus.choices)
    resolve_transfer_id = models.CharField(max_length=39, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "accreditation"], name="si_settle_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="si_settle_positive"),
        ]

    def __str__(self) -> str:
        return self.transfer_id

    @property
    def end_to_end_id(self) -> str:
        return str(int(self.transfer_id))


class RecordView(models.Model):
    """An official's look at a household's personal record; the household's members see it."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    viewed_at = models.DateTimeField()

    class Meta:
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.viewed_at}"
