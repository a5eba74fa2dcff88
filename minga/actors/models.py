"""People, organisations, memberships and posts, shaped after the Popolo standard
(https://www.popoloproject.com/specs/). Field names follow Popolo's where they exist."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Classification(models.TextChoices):
    # The popular and solidarity economy's sectors (Ecuador's LOEPS names three).
    COMMUNITY = "community", _("Sector comunitario")
    ASSOCIATIVE = "associative", _("Sector asociativo")
    COOPERATIVE = "cooperative", _("Sector cooperativo")
    SOCIAL_ENTERPRISE = "social_enterprise", _("Empresa social")
    PRIVATE_FIRM = "private_firm", _("Empresa privada")
    PUBLIC_BODY = "public_body", _("Entidad pública")
    COUNCIL = "council", _("Consejo")
    CONSORTIUM = "consortium", _("Consorcio")


# The classifications of the social and solidarity economy: they elect civil council seats
# and only they can be accredited as care providers.
SOLIDARITY_ECONOMY = frozenset(
    {
        Classification.COMMUNITY,
        Classification.ASSOCIATIVE,
        Classification.COOPERATIVE,
        Classification.SOCIAL_ENTERPRISE,
    }
)


class FirmSize(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Pequeña")
    MEDIUM = "medium", _("Mediana")
    LARGE = "large", _("Grande")


class Person(models.Model):
    name = models.CharField(_("nombre"), max_length=200)
    given_name = models.CharField(_("nombres"), max_length=100, blank=True)
    family_name = models.CharField(_("apellidos"), max_length=100, blank=True)
    other_names = models.JSONField(_("otros nombres"), default=list, blank=True)
    # Private: never shown on public pages nor exported.
    email = models.EmailField(_("correo"), blank=True)
    birth_date = models.DateField(_("fecha de nacimiento"), null=True, blank=True)
    gender = models.CharField(_("género"), max_length=40, blank=True)
    contact_details = models.JSONField(_("datos de contacto"), default=list, blank=True)
    # Public.
    summary = models.CharField(_("resumen"), max_length=500, blank=True)
    biography = models.TextField(_("biografía"), blank=True)
    area = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territorio"),
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="person_name_not_blank")
        ]

    def __str__(self) -> str:
        return self.name


class PersonIdentifier(models.Model):
    """An identifier issued to a person (scheme "EC-CEDULA" for a cédula). Private."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(_("esquema"), max_length=40)
    identifier = models.CharField(_("identificador"), max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "identifier"], name="person_identifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"


class Organization(models.Model):
    name = models.CharField(_("nombre"), max_length=300)
    other_names = models.JSONField(_("otros nombres"), default=list, blank=True)
    classification = models.CharField(
        _("clasificación"), max_length=32, choices=Classification.choices
    )
    # Only for private firms.
    size = models.CharField(_("tamaño"), max_length=16, choices=FirmSize.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("organización madre"),
    )
    # Every organisation belongs to a territory.
    area = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("territorio"),
    )
    founding_date = models.DateField(_("fecha de fundación"), null=True, blank=True)
    dissolution_date = models.DateField(_("fecha de disolución"), null=True, blank=True)
    summary = models.CharField(_("resumen"), max_length=500, blank=True)
    description = models.TextField(_("descripción"), blank=True)
    contact_details = models.JSONField(_("datos de contacto"), default=list, blank=True)
    links = models.JSONField(_("enlaces"), default=list, blank=True)
    # The name, other names, summary and identifiers folded (lower case, no accents, single
    # spaces) for the directory's search, which must behave alike on SQLite and PostgreSQL.
    # Maintained by the services only.
    search_text = models.TextField(default="", blank=True, editable=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name=""), name="organization_name_not_blank"
            ),
            models.CheckConstraint(
                condition=models.Q(classification="private_firm") | models.Q(size=""),
                name="organization_size_only_for_firms",
            ),
            models.CheckConstraint(
                condition=~models.Q(classification="private_firm") | ~models.Q(size=""),
                name="organization_firm_has_size",
            ),
            models.CheckConstraint(
                condition=models.Q(dissolution_date__isnull=True)
                | models.Q(founding_date__isnull=True)
                | models.Q(dissolution_date__gte=models.F("founding_date")),
                name="organization_dissolved_after_founding",
            ),
        ]
        indexes = [
            # The directory: ordered by name, optionally within one classification.
            models.Index(fields=["name", "id"], name="organization_name_idx"),
            models.Index(
                fields=["classification", "name", "id"], name="organization_class_name_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganizationIdentifier(models.Model):
    """An identifier of an organisation (scheme "EC-RUC" for a RUC). Public."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="identifiers"
    )
    scheme = models.CharField(_("esquema"), max_length=40)
    identifier = models.CharField(_("identificador"), max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "identifier"], name="organization_identifier_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"


class Post(models.Model):
    """A position in an organisation that a person can hold (Popolo Post)."""

    label = models.CharField(_("etiqueta"), max_length=200)
    role = models.CharField(_("función"), max_length=100, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="posts")
    area = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territorio"),
    )
    start_date = models.DateField(_("desde"), null=True, blank=True)
    end_date = models.DateField(_("hasta"), null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "label"]
        verbose_name = _("cargo")
        verbose_name_plural = _("cargos")
        constraints = [
            models.CheckConstraint(condition=~models.Q(label=""), name="post_label_not_blank"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="post_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Membership(models.Model):
    """A person's membership of an organisation (Popolo Membership). Dates are Popolo's:
    end_date is the last day, and empty while the membership goes on."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("función"), max_length=100, blank=True)
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    on_behalf_of = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships_on_behalf",
        verbose_name=_("en representación de"),
    )
    start_date = models.DateField(_("desde"), null=True, blank=True)
    end_date = models.DateField(_("hasta"), null=True, blank=True)

    class Meta:
        verbose_name = _("membresía")
        verbose_name_plural = _("membresías")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organization}"
