"""The roles a person can hold. A role held for a territory (an official, a council member)
applies to that territory and every territory under it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Residente")
    DELEGATE = "delegate", _("Delegado/a de organización")
    OFFICIAL = "official", _("Funcionario/a")
    COUNCIL_MEMBER = "council_member", _("Miembro de consejo")
    AUDITOR = "auditor", _("Auditor/a")
    ADMINISTRATOR = "administrator", _("Administrador/a")
    # A machine client that writes to the ledger (POST /api/v1/ledger/...).
    OPERATOR = "operator", _("Operador/a (cliente de máquina)")
