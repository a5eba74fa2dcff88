"""Joint municipal/civil councils: parity of government and civil seats, terms with a Chair and a
Vice Chair from different sides (the Chair's side alternating term to term), civil seats elected
by the solidarity economy with STV, meetings with attendance, motions voted by name, decisions.

Data only: every write goes through minga.councils.services, which enforce the rules with named
exceptions; the constraints below say the same rules a second time, in the database."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    GOVERNMENT = "government", _("Gobierno local")
    CIVIL = "civil", _("Sociedad civil")


def other_side(side: str) -> str:
    """The other side of a joint council: the Chair and Vice Chair sit on different sides, and
    the Chair's side alternates from one term to the next."""
    assert side in Side.values, side
    return Side.CIVIL if side == Side.GOVERNMENT else Side.GOVERNMENT


class QuorumRule(models.TextChoices):
    # Default: more than half of all seats present, including at least half of each side's
    # seats, so that neither side can decide alone.
    PARITY = "parity", _("Más de la mitad de los puestos, con al menos la mitad de cada lado")
    MAJORITY = "majority", _("Más de la mitad de los puestos")


class MajorityRule(models.TextChoices):
    SIMPLE = "simple", _("Mayoría simple de quienes votan")
    DOUBLE = "double", _("Doble mayoría (mayoría en cada lado)")


class Council(models.Model):
    """A jointly governed body of a territory: a municipality's council, or the board of a care
    programme. Parity: it has as many government seats as civil seats."""

    name = models.CharField(_("nombre"), max_length=200)
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("territorio"),
    )
    government_seats = models.PositiveSmallIntegerField(_("puestos del gobierno"))
    civil_seats = models.PositiveSmallIntegerField(_("puestos de la sociedad civil"))
    first_chair_side = models.CharField(
        _("lado de la presidencia del primer periodo"), max_length=16, choices=Side.choices
    )
    term_length_months = models.PositiveSmallIntegerField(_("duración del periodo (meses)"))
    quorum_rule = models.CharField(_("regla de quórum"), max_length=16, choices=QuorumRule.choices)
    majority_rule = models.CharField(
        _("regla de mayoría"), max_length=16, choices=MajorityRule.choices
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("consejo paritario")
        verbose_name_plural = _("consejos paritarios")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="council_name_not_blank"),
            models.UniqueConstraint(
                fields=["territory", "name"], name="council_name_per_territory"
            ),
            # Parity: an equal number of local-government and civil-society representatives.
            models.CheckConstraint(
                condition=Q(government_seats=F("civil_seats")), name="council_seats_at_parity"
            ),
            models.CheckConstraint(
                condition=Q(government_seats__gte=1, government_seats__lte=50),
                name="council_seats_in_range",
            ),
            models.CheckConstraint(
                condition=Q(term_length_months__gte=1, term_length_months__lte=120),
                name="council_term_length_in_range",
            ),
            models.CheckConstraint(
                condition=Q(first_chair_side__in=Side.values), name="council_first_side_valid"
            ),
            models.CheckConstraint(
                condition=Q(quorum_rule__in=QuorumRule.values), name="council_quorum_rule_valid"
            ),
            models.CheckConstraint(
                condition=Q(majority_rule__in=MajorityRule.values),
                name="council_majority_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_seats(self) -> int:
        return self.government_seats + self.civil_seats


class Term(models.Model):
    """A term of office, [start_date, end_date). Terms of a council follow one another without
    overlapping; the Chair's side alternates from one term to the next."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="terms")
    number = models.PositiveSmallIntegerField(_("número"))
    start_date = models.DateField(_("inicio"))
    end_date = models.DateField(_("fin (exclusivo)"))
    government_seats = models.PositiveSmallIntegerField(_("puestos del gobierno"))
    civil_seats = models.PositiveSmallIntegerField(_("puestos de la sociedad civil"))
    chair_side = models.CharField(_("lado de la presidencia"), max_length=16, choices=Side.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["council_id", "number"]
        verbose_name = _("periodo")
        verbose_name_plural = _("periodos")
        constraints = [
            models.UniqueConstraint(fields=["council", "number"], name="term_number_per_council"),
            models.UniqueConstraint(
                fields=["council", "start_date"], name="term_start_per_council"
            ),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="term_forward"),
            models.CheckConstraint(
                condition=Q(government_seats=F("civil_seats")), name="term_seats_at_parity"
            ),
            models.CheckConstraint(condition=Q(government_seats__gte=1), name="term_has_seats"),
            models.CheckConstraint(condition=Q(number__gte=1), name="term_number_positive"),
            models.CheckConstraint(
                condition=Q(chair_side__in=Side.values), name="term_chair_side_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.council} · {self.number} ({self.start_date} - {self.end_date})"

    @property
    def vice_chair_side(self) -> str:
        return other_side(self.chair_side)

    @property
    def total_seats(self) -> int:
        return self.government_seats + self.civil_seats


class Seat(models.Model):
    """A seat of a term, on one side. Who holds it, and when, is in its mandates."""

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="seats")
    side = models.CharField(_("lado"), max_length=16, choices=Side.choices)
    number = models.PositiveSmallIntegerField(_("número"))

    class Meta:
        ordering = ["term_id", "side", "number"]
        verbose_name = _("puesto")
        verbose_name_plural = _("puestos")
        constraints = [
            models.UniqueConstraint(fields=["term", "side", "number"], name="seat_number_per_side"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="seat_side_valid"),
            models.CheckConstraint(condition=Q(number__gte=1), name="seat_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.number}"


class Source(models.TextChoices):
    DESIGNATION = "designation", _("Designación")
    ELECTION = "election", _("Elección")
    RECOUNT = "recount", _("Recuento por vacante")


class Office(models.TextChoices):
    NONE = "", _("Miembro")
    CHAIR = "chair", _("Presidencia")
    VICE_CHAIR = "vice_chair", _("Vicepresidencia")


class Mandate(models.Model):
    """A person holding a seat over [start_date, end_date). A seat with no open mandate is
    vacant. Government seats are filled by designation, civil seats by the election (or, for a
    vacancy, by a recount of its ballots). `term` and `side` repeat the seat's, so that the
    database itself can refuse a seat filled twice and two officers on one side."""

    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="mandates")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="mandates")
    side = models.CharField(_("lado"), max_length=16, choices=Side.choices)
    person = models.ForeignKey(
        "actors.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("persona")
    )
    source = models.CharField(_("origen"), max_length=16, choices=Source.choices)
    office = models.CharField(
        _("cargo"), max_length=16, choices=Office.choices, blank=True, default=""
    )
    # The act of designation (for government seats), e.g. "Resolución 2025-014".
    reference = models.CharField(_("acto o referencia"), max_length=200, blank=True)
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("designado por"),
    )
    start_date = models.DateField(_("desde"))
    end_date = models.DateField(_("hasta (exclusivo)"), null=True, blank=True)
    end_reason = models.CharField(_("motivo del fin"), max_length=300, blank=True)
    # For a seat filled by a recount: the published recount sheet (minga.voting.stv's
    # VacancyResult.to_json(): who fills the seat and every stage of the recount).
    recount_sheet = models.JSONField(_("acta del recuento"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["term_id", "side", "seat__number", "start_date"]
        verbose_name = _("mandato")
        verbose_name_plural = _("mandatos")
        constraints = [
            # A seat is never filled twice: at most one open mandate per seat.
            models.UniqueConstraint(
                fields=["seat"],
                condition=Q(end_date__isnull=True),
                name="mandate_one_open_per_seat",
            ),
            # One person, one seat in a term.
            models.UniqueConstraint(
                fields=["term", "person"],
                condition=Q(end_date__isnull=True),
                name="mandate_one_open_seat_per_person",
            ),
            # One Chair and one Vice Chair per term, and never two officers on the same side:
            # so the Chair and the Vice Chair sit on different sides.
            models.UniqueConstraint(
                fields=["term", "office"],
                condition=Q(end_date__isnull=True) & ~Q(office=""),
                name="mandate_one_holder_per_office",
            ),
            models.UniqueConstraint(
                fields=["term", "side"],
                condition=Q(end_date__isnull=True) & ~Q(office=""),
                name="mandate_officers_on_different_sides",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="mandate_forward",
            ),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="mandate_side_valid"),
            # Government seats are designated; civil seats are elected (or recounted).
            models.CheckConstraint(
                condition=Q(side=Side.GOVERNMENT, source=Source.DESIGNATION)
                | Q(side=Side.CIVIL, source__in=[Source.ELECTION, Source.RECOUNT]),
                name="mandate_source_matches_side",
            ),
            # A seat filled by a recount publishes its recount sheet; no other mandate has one.
            models.CheckConstraint(
                condition=Q(source=Source.RECOUNT, recount_sheet__isnull=False)
                | (~Q(source=Source.RECOUNT) & Q(recount_sheet__isnull=True)),
                name="mandate_recount_has_sheet",
            ),
            models.CheckConstraint(
                condition=Q(office__in=Office.values), name="mandate_office_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.seat}"

    @property
    def is_open(self) -> bool:
        return self.end_date is None


class ElectionStatus(models.TextChoices):
    NOMINATING = "nominating", _("Nominaciones abiertas")
    VOTING = "voting", _("Votación abierta")
    COUNTED = "counted", _("Escrutada")


class Election(models.Model):
    """The election of a term's civil seats among the solidarity-economy organisations of the
    council's territory: one ranked ballot per organisation, counted by STV (Scottish rules)."""

    term = models.OneToOneField(Term, on_delete=models.PROTECT, related_name="election")
    seats = models.PositiveSmallIntegerField(_("puestos a elegir"))
    status = models.CharField(_("estado"), max_length=16, choices=ElectionStatus.choices)
    opened_at = models.DateTimeField()
    voting_opened_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    # The seed of the lot that breaks the ties the Scottish rules leave to lot: published, so
    # that anyone can repeat the count exactly.
    seed = models.BigIntegerField(_("semilla del sorteo"), null=True, blank=True)
    quota = models.CharField(_("cuota"), max_length=40, blank=True)
    count_sheet = models.JSONField(_("acta de escrutinio"), null=True, blank=True)
    blt = models.TextField(_("papeletas (BLT)"), blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("elección")
        verbose_name_plural = _("elecciones")
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="election_has_seats"),
            models.CheckConstraint(
                condition=Q(status__in=ElectionStatus.values), name="election_status_valid"
            ),
            # A counted election has its published count sheet, ballots and seed.
            models.CheckConstraint(
                condition=~Q(status=ElectionStatus.COUNTED)
                | (
                    Q(counted_at__isnull=False, seed__isnull=False, count_sheet__isnull=False)
                    & ~Q(blt="")
                ),
                name="election_counted_is_published",
            ),
            models.CheckConstraint(
                condition=Q(status=ElectionStatus.NOMINATING) | Q(voting_opened_at__isnull=False),
                name="election_voting_has_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term}"


class Nomination(models.Model):
    """An organisation nominates a person; the person accepts and becomes a candidate. When
    voting opens, accepted nominations are numbered (the candidate numbers of the BLT file)."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="nominations")
    organization = models.ForeignKey(
        "actors.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organización"),
    )
    person = models.ForeignKey(
        "actors.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("persona")
    )
    nominated_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    candidate_number = models.PositiveSmallIntegerField(null=True, blank=True)
    # 1 for the first elected, 2 for the next, ...; empty for the others.
    elected_rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["election_id", "candidate_number", "person__name"]
        verbose_name = _("nominación")
        verbose_name_plural = _("nominaciones")
        constraints = [
            models.UniqueConstraint(fields=["election", "person"], name="nomination_once"),
            models.UniqueConstraint(
                fields=["election", "candidate_number"], name="candidate_number_unique"
            ),
            models.UniqueConstraint(fields=["election", "elected_rank"], name="elected_rank_once"),
            models.CheckConstraint(
                condition=Q(candidate_number__isnull=True) | Q(accepted_at__isnull=False),
                name="candidate_has_accepted",
            ),
            models.CheckConstraint(
                condition=Q(elected_rank__isnull=True) | Q(candidate_number__isnull=False),
                name="elected_is_candidate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.organization})"


class RollEntry(models.Model):
    """The electoral roll: one line per organisation entitled to one ballot. It records that the
    organisation voted, never what: the ballot box is not linked to it."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="roll")
    organization = models.ForeignKey(
        "actors.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organización"),
    )
    has_voted = models.BooleanField(_("ha votado"), default=False)

    class Meta:
        ordering = ["election_id", "organization__name"]
        verbose_name = _("entrada del padrón")
        verbose_name_plural = _("padrón electoral")
        constraints = [
            models.UniqueConstraint(fields=["election", "organization"], name="roll_once")
        ]

    def __str__(self) -> str:
        return f"{self.organization}"


class Ballot(models.Model):
    """A ranked ballot in the ballot box. Anonymous by construction: no organisation, no user,
    no time; a random key so that not even the order of insertion is kept."""

    id = models.UUIDField(primary_key=True)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="ballots")
    # Candidate numbers in order of preference, e.g. [3, 1, 4].
    preferences = models.JSONField(_("preferencias"))

    class Meta:
        ordering = ["election_id", "id"]
        verbose_name = _("papeleta")
        verbose_name_plural = _("papeletas")

    def __str__(self) -> str:
        return " ".join(str(p) for p in self.preferences)


class Meeting(models.Model):
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="meetings")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("título"), max_length=200)
    starts_at = models.DateTimeField(_("fecha y hora"))
    place = models.CharField(_("lugar"), max_length=200, blank=True)
    minutes = models.TextField(_("acta"), blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("sesión")
        verbose_name_plural = _("sesiones")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="meeting_title_not_blank"),
            models.CheckConstraint(
                condition=Q(minutes_published_at__isnull=True) | ~Q(minutes=""),
                name="meeting_published_minutes_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("orden"))
    title = models.CharField(_("punto"), max_length=300)

    class Meta:
        ordering = ["meeting_id", "position"]
        verbose_name = _("punto del orden del día")
        verbose_name_plural = _("orden del día")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_once"),
            models.CheckConstraint(condition=~Q(title=""), name="agenda_title_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class Attendance(models.Model):
    """A member present at a meeting. Members without a row were absent."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="attendance")
    side = models.CharField(_("lado"), max_length=16, choices=Side.choices)

    class Meta:
        ordering = ["meeting_id", "side", "mandate__seat__number"]
        verbose_name = _("asistencia")
        verbose_name_plural = _("asistencias")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "mandate"], name="attendance_once"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="attendance_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.mandate}"


class MotionOutcome(models.TextChoices):
    PASSED = "passed", _("Aprobada")
    REJECTED = "rejected", _("Rechazada")


class Motion(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="motions")
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="motions"
    )
    title = models.CharField(_("moción"), max_length=300)
    text = models.TextField(_("texto"), blank=True)
    # The council's majority rule when the motion was put, kept with it.
    majority_rule = models.CharField(
        _("regla de mayoría"), max_length=16, choices=MajorityRule.choices
    )
    outcome = models.CharField(
        _("resultado"), max_length=16, choices=MotionOutcome.choices, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["meeting_id", "created_at", "id"]
        verbose_name = _("moción")
        verbose_name_plural = _("mociones")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="motion_title_not_blank"),
            models.CheckConstraint(
                condition=(Q(closed_at__isnull=True) & Q(outcome=""))
                | (Q(closed_at__isnull=False) & Q(outcome__in=MotionOutcome.values)),
                name="motion_outcome_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def anchor(self) -> str:
        """The id of the motion's heading on its meeting's page."""
        return f"motion-{self.pk}"


class VoteChoice(models.TextChoices):
    YES = "yes", _("A favor")
    NO = "no", _("En contra")
    ABSTAIN = "abstain", _("Abstención")


class Vote(models.Model):
    """A member's vote on a motion, recorded by name and public."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="votes")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="votes")
    side = models.CharField(_("lado"), max_length=16, choices=Side.choices)
    choice = models.CharField(_("voto"), max_length=16, choices=VoteChoice.choices)

    class Meta:
        ordering = ["motion_id", "side", "mandate__seat__number"]
        verbose_name = _("voto")
        verbose_name_plural = _("votos")
        constraints = [
            models.UniqueConstraint(fields=["motion", "mandate"], name="vote_once"),
            models.CheckConstraint(condition=Q(choice__in=VoteChoice.values), name="vote_valid"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="vote_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.mandate}: {self.choice}"


class ServiceCategory(models.TextChoices):
    CARE = "care", _("Cuidados")
    HEALTH = "health", _("Salud")
    EDUCATION = "education", _("Educación")
    HOUSING = "housing", _("Vivienda")
    WATER = "water", _("Agua y saneamiento")
    FOOD = "food", _("Alimentación")
    MOBILITY = "mobility", _("Movilidad")
    CULTURE = "culture", _("Cultura")
    ENVIRONMENT = "environment", _("Ambiente")
    LIVELIHOODS = "livelihoods", _("Economía popular y solidaria")


class Decision(models.Model):
    """What a passed motion decided, published. A "priority need" carries a service category and
    a territory; participatory budgeting and care programmes read them."""

    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="decision")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("decisión"))
    is_priority_need = models.BooleanField(_("es una necesidad prioritaria"), default=False)
    service_category = models.CharField(
        _("categoría de servicio"), max_length=32, choices=ServiceCategory.choices, blank=True
    )
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territorio"),
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("decisión")
        verbose_name_plural = _("decisiones")
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="decision_text_not_blank"),
            models.CheckConstraint(
                condition=Q(is_priority_need=False, service_category="", territory__isnull=True)
                | (
                    Q(is_priority_need=True, territory__isnull=False)
                    & Q(service_category__in=ServiceCategory.values)
                ),
                name="decision_priority_need_is_tagged",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def get_absolute_url(self) -> str:
        """Where a decision is read: its motion on the meeting's page (the motion, the votes
        and the decision, in the meeting's record)."""
        return f"{reverse('councils:meeting', args=[self.motion.meeting_id])}#{self.motion.anchor}"
