"""The audit log: one row per write, hash-chained so that any later edit or deletion shows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One write made through a service. `hash` covers `prev_hash` and this event's canonical
    bytes (see minga.core.services.audit_canonical_bytes), so the log is a chain: changing or
    removing any event breaks every link after it."""

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("momento"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor (texto)"), max_length=200)
    action = models.CharField(_("acción"), max_length=100)
    object_type = models.CharField(_("tipo de objeto"), max_length=100)
    object_id = models.CharField(_("id del objeto"), max_length=100)
    before = models.JSONField(_("antes"), null=True, blank=True)
    after = models.JSONField(_("después"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("evento de auditoría")
        verbose_name_plural = _("eventos de auditoría")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row holding the last hash. Appending locks it (SELECT ... FOR UPDATE), so
    concurrent writers append one after the other and the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"
