"""Territories: a hierarchy of any depth. Levels are data per country (Ecuador: provincia,
canton, parroquia; elsewhere region, municipality, district), never code."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TerritoryLevel(models.Model):
    country_code = models.CharField(_("país (ISO 3166-1)"), max_length=2)
    key = models.SlugField(_("clave"), max_length=40)
    name = models.CharField(_("nombre"), max_length=100)
    # 0 for the level under the country, 1 for the next one down, and so on.
    rank = models.PositiveSmallIntegerField(_("profundidad"))

    class Meta:
        ordering = ["country_code", "rank"]
        verbose_name = _("nivel territorial")
        verbose_name_plural = _("niveles territoriales")
        constraints = [
            models.UniqueConstraint(fields=["country_code", "key"], name="level_key_per_country"),
            models.UniqueConstraint(fields=["country_code", "rank"], name="level_rank_per_country"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code} {self.name}"


class Territory(models.Model):
    country_code = models.CharField(_("país (ISO 3166-1)"), max_length=2)
    level = models.ForeignKey(
        TerritoryLevel,
        on_delete=models.PROTECT,
        related_name="territories",
        verbose_name=_("nivel"),
    )
    # The official code (INEC DPA in Ecuador), unique within a country.
    code = models.CharField(_("código oficial"), max_length=20)
    name = models.CharField(_("nombre"), max_length=200)
    # The name folded for search and matching: lower case, accents removed, punctuation as
    # single spaces ("SANTO DOMINGO DE LOS TSÁCHILAS" -> "santo domingo de los tsachilas").
    # Maintained by the services only, so that search ignores accents on SQLite and PostgreSQL.
    name_key = models.CharField(max_length=200, db_index=True, default="")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("pertenece a"),
    )
    # Materialised path of codes, "/10/1003/100350/": "everything under X" is one indexed
    # prefix query (object-level permissions use it). Maintained by the services only.
    path = models.CharField(max_length=500, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0)
    geometry = models.JSONField(_("geometría (GeoJSON)"), null=True, blank=True)
    # Where the shape comes from, shown under the map (attribution, or "approximate").
    geometry_source = models.CharField(_("fuente de la geometría"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["country_code", "code"]
        verbose_name = _("territorio")
        verbose_name_plural = _("territorios")
        constraints = [
            models.UniqueConstraint(
                fields=["country_code", "code"], name="territory_code_per_country"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="territory_name_not_blank"),
            models.CheckConstraint(condition=~models.Q(code=""), name="territory_code_not_blank"),
            # The root of a path is a territory without a parent, at depth 0.
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, depth=0)
                | models.Q(parent__isnull=False, depth__gt=0),
                name="territory_depth_matches_parent",
            ),
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
