"""Participatory budgeting: processes in dated phases, budgets, proposals and their review,
the census of who may vote, the ballot box (kept apart from the list of who voted), results and
the tracking of what was funded."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    UPCOMING = "upcoming", _("Por comenzar")
    PROPOSALS = "proposals", _("Propuestas")
    REVIEW = "review", _("Revisión técnica")
    VOTING = "voting", _("Votación")
    RESULTS = "results", _("Resultados")
    IMPLEMENTATION = "implementation", _("Ejecución")


class Rule(models.TextChoices):
    MES = "mes", _("Método de Partes Iguales (MES)")
    GREEDY = "greedy", _("Voto mayoritario (codicioso)")


class Satisfaction(models.TextChoices):
    COST = "cost", _("Costo")
    CARDINALITY = "cardinality", _("Número de proyectos")


class Completion(models.TextChoices):
    NONE = "none", _("Ninguna")
    ADD1 = "add1", _("Add1")
    ADD1U = "add1u", _("Add1 y relleno utilitario")


class BallotKind(models.TextChoices):
    # Approval: any number of projects (within the optional minimum and maximum).
    APPROVAL = "approval", _("Aprobación")
    # Knapsack: an approval ballot whose projects' total cost may not exceed the budget.
    KNAPSACK = "knapsack", _("Mochila (sin exceder el presupuesto)")


class Eligibility(models.TextChoices):
    # The budgets whose territory contains the voter's own (census) territory.
    OWN_TERRITORY = "own_territory", _("Solo los presupuestos de su propia parroquia")
    # Every budget of the process.
    ALL_BUDGETS = "all_budgets", _("Todos los presupuestos del proceso")


class Process(models.Model):
    """A participatory budgeting process of one territory. Its phases follow each other:
    proposals from `proposals_open_at`, technical review from `review_open_at`, voting in
    [voting_open_at, voting_close_at), results from the close, implementation from
    `implementation_open_at`."""

    slug = models.SlugField(_("identificador"), max_length=80, unique=True)
    title = models.CharField(_("título"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("territorio"),
    )
    currency = models.CharField(_("moneda (ISO 4217)"), max_length=3, default="USD")
    proposals_open_at = models.DateTimeField(_("apertura de propuestas"))
    review_open_at = models.DateTimeField(_("inicio de la revisión técnica"))
    voting_open_at = models.DateTimeField(_("apertura de la votación"))
    voting_close_at = models.DateTimeField(_("cierre de la votación"))
    implementation_open_at = models.DateTimeField(_("inicio de la ejecución"))
    rule = models.CharField(_("regla"), max_length=16, choices=Rule.choices, default=Rule.MES)
    satisfaction = models.CharField(
        _("satisfacción"), max_length=16, choices=Satisfaction.choices, default=Satisfaction.COST
    )
    completion = models.CharField(
        _("completado"), max_length=16, choices=Completion.choices, default=Completion.ADD1
    )
    ballot_kind = models.CharField(
        _("tipo de papeleta"),
        max_length=16,
        choices=BallotKind.choices,
        default=BallotKind.APPROVAL,
    )
    min_projects = models.PositiveSmallIntegerField(_("mínimo de proyectos"), default=1)
    max_projects = models.PositiveSmallIntegerField(_("máximo de proyectos"), null=True, blank=True)
    eligibility = models.CharField(
        _("quién vota dónde"),
        max_length=16,
        choices=Eligibility.choices,
        default=Eligibility.OWN_TERRITORY,
    )
    results_published_at = models.DateTimeField(_("resultados publicados"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-voting_open_at", "slug"]
        verbose_name = _("proceso de presupuesto participativo")
        verbose_name_plural = _("procesos de presupuesto participativo")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="pb_process_title_not_blank"),
            models.CheckConstraint(
                condition=Q(review_open_at__gt=F("proposals_open_at"))
                & Q(voting_open_at__gt=F("review_open_at"))
                & Q(voting_close_at__gt=F("voting_open_at"))
                & Q(implementation_open_at__gte=F("voting_close_at")),
                name="pb_process_phases_in_order",
            ),
            models.CheckConstraint(
                condition=Q(max_projects__isnull=True) | Q(max_projects__gte=F("min_projects")),
                name="pb_process_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Budget(models.Model):
    """The money one part of the process's territory (a parish, a district) decides on."""

    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="budgets")
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("territorio"),
    )
    name = models.CharField(_("nombre"), max_length=200)
    amount_cents = models.BigIntegerField(_("monto (centavos)"))

    class Meta:
        ordering = ["process_id", "name"]
        verbose_name = _("presupuesto")
        verbose_name_plural = _("presupuestos")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "territory"], name="pb_budget_per_territory"
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="pb_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A category of proposals. One taken from a priority need of a joint council keeps that
    council decision as its source, so that the pages can say which need a project answers."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("nombre"), max_length=100)
    source_decision = models.ForeignKey(
        "councils.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("necesidad prioritaria de origen"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("categoría")
        verbose_name_plural = _("categorías")
        constraints = [
            models.UniqueConstraint(fields=["process", "name"], name="pb_category_unique"),
            # A priority need becomes at most one category of a process: taking the needs
            # twice adds nothing.
            models.UniqueConstraint(
                fields=["process", "source_decision"],
                condition=Q(source_decision__isnull=False),
                name="pb_category_one_per_need",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    SUBMITTED = "submitted", _("En revisión")
    FEASIBLE = "feasible", _("Viable")
    UNFEASIBLE = "unfeasible", _("No viable")


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Por iniciar")
    IN_PROGRESS = "in_progress", _("En ejecución")
    COMPLETED = "completed", _("Terminado")
    CANCELLED = "cancelled", _("Cancelado")


class Project(models.Model):
    """A resident's proposal; after a favourable technical review, a project on the ballot."""

    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="projects")
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("título"), max_length=200)
    description = models.TextField(_("descripción"))
    estimated_cost_cents = models.BigIntegerField(_("costo estimado (centavos)"))
    location = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ubicación"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="projects", verbose_name=_("categoría")
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.SUBMITTED
    )
    review_reason = models.TextField(_("motivo de la revisión"), blank=True)
    adjusted_cost_cents = models.BigIntegerField(_("costo ajustado (centavos)"), null=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True)
    # Set when the results are published.
    selected = models.BooleanField(default=False)
    implementation_status = models.CharField(
        max_length=16,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_STARTED,
    )
    progress_percent = models.PositiveSmallIntegerField(default=0)
    spent_cents = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["budget_id", "id"]
        verbose_name = _("proyecto")
        verbose_name_plural = _("proyectos")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="pb_project_title_not_blank"),
            models.CheckConstraint(
                condition=Q(estimated_cost_cents__gt=0), name="pb_project_cost_positive"
            ),
            models.CheckConstraint(
                condition=Q(adjusted_cost_cents__isnull=True) | Q(adjusted_cost_cents__gt=0),
                name="pb_project_adjusted_cost_positive",
            ),
            # A review is a decision with a reason, by someone, at a time.
            models.CheckConstraint(
                condition=Q(status="submitted", reviewed_at__isnull=True)
                | (
                    ~Q(status="submitted")
                    & Q(reviewed_at__isnull=False)
                    & Q(reviewed_by__isnull=False)
                    & ~Q(review_reason="")
                ),
                name="pb_project_review_complete",
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="pb_project_progress_le_100"
            ),
            models.CheckConstraint(condition=Q(spent_cents__gte=0), name="pb_project_spent_ge_0"),
            models.CheckConstraint(
                condition=Q(selected=False) | Q(status="feasible"),
                name="pb_project_selected_is_feasible",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def cost_cents(self) -> int:
        """The cost on the ballot: the reviewers' adjusted cost, or else the estimate."""
        if self.adjusted_cost_cents is not None:
            return self.adjusted_cost_cents
        return self.estimated_cost_cents


class ProjectImage(models.Model):
    """A small photo or sketch of a proposal, kept in the database (limited in size so that the
    pages stay light on a 3G phone)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    alt_text = models.CharField(_("descripción de la imagen"), max_length=300)

    def __str__(self) -> str:
        return f"{self.project_id}: {self.alt_text}"


class ProjectUpdate(models.Model):
    """A dated report by an official on a funded project: the public timeline."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="updates")
    update_date = models.DateField(_("fecha"))
    status = models.CharField(max_length=16, choices=ImplementationStatus.choices)
    progress_percent = models.PositiveSmallIntegerField(_("avance (%)"))
    spent_cents = models.BigIntegerField(_("gastado hasta la fecha (centavos)"))
    note = models.TextField(_("nota"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["project_id", "update_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="pb_update_progress_le_100"
            ),
            models.CheckConstraint(condition=Q(spent_cents__gte=0), name="pb_update_spent_ge_0"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.update_date}"


class CensusEntry(models.Model):
    """One eligible resident of the process: an identifier (a cédula) and the territory (parish)
    where they live. A resident's account claims its entry once, by giving the identifier."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="census")
    identifier = models.CharField(max_length=32)
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process", "identifier"], name="pb_census_unique"),
            models.UniqueConstraint(
                fields=["process", "user"],
                condition=Q(user__isnull=False),
                name="pb_census_one_entry_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process_id}:{self.identifier}"


class Channel(models.TextChoices):
    ONLINE = "online", _("En línea")
    PAPER = "paper", _("Papel")


class VoterRecord(models.Model):
    """The list of who has voted in which budget. It holds no trace of the ballot: secrecy
    rests on the ballot box (`Ballot`) having no column that leads back here."""

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="voters")
    census_entry = models.ForeignKey(CensusEntry, on_delete=models.PROTECT, related_name="votes")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    voted_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One ballot per eligible person and budget.
            models.UniqueConstraint(fields=["budget", "census_entry"], name="pb_one_vote_each"),
        ]

    def __str__(self) -> str:
        return f"{self.budget_id}:{self.census_entry_id}"


class Ballot(models.Model):
    """A ballot in the box. A random key, no time and no voter: what links a ballot to its
    voter is only the receipt code the voter holds (its SHA-256 is stored here)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="ballots")
    receipt_sha256 = models.CharField(max_length=64, unique=True)
    projects = models.ManyToManyField(Project, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)

    def __str__(self) -> str:
        return f"{self.budget_id}:{self.receipt_sha256[:12]}"


class PaperBatch(models.Model):
    """An upload of paper ballots: who uploaded it, when, and how many ballots it held."""

    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="paper_batches")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    filename = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    ballots_count = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.filename} ({self.ballots_count})"


class Result(models.Model):
    """The published outcome of one budget: the selection, the rule that made it, every
    project's explanation, the greedy outcome for comparison, and the anonymised ballots as a
    pabulib file whose recount gives this selection."""

    budget = models.OneToOneField(Budget, on_delete=models.PROTECT, related_name="result")
    rule = models.CharField(max_length=16, choices=Rule.choices)
    satisfaction = models.CharField(max_length=16, choices=Satisfaction.choices)
    completion = models.CharField(max_length=16, choices=Completion.choices)
    # Project ids (as in the .pb file) in selection order.
    selected = models.JSONField()
    greedy_selected = models.JSONField()
    explanations = models.JSONField()
    cost_cents = models.BigIntegerField()
    voters = models.PositiveIntegerField()
    pb_file = models.TextField()
    pb_sha256 = models.CharField(max_length=64)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.budget}"
