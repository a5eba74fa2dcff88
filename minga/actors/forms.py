"""Forms of the actors pages. They parse and check the shape of input; the domain rules (size
only for firms, RUC check digits, territory permission) are the services' and selectors'."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minga.core import identifiers

from .models import Classification, FirmSize


def _territory_label(t: Any) -> str:
    # Non-breaking spaces indent the tree inside a <select>.
    return "\u00a0\u00a0" * int(t.depth) + f"{t.name} ({t.code})"


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Buscar"), required=False, max_length=200)
    territory = forms.TypedChoiceField(
        label=_("Territorio"), required=False, coerce=int, empty_value=None
    )
    classification = forms.ChoiceField(label=_("Clasificación"), required=False)

    def __init__(self, *args: Any, territories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        territory_field = self.fields["territory"]
        assert isinstance(territory_field, forms.ChoiceField)
        territory_field.choices = [("", _("Todos"))] + [
            (t.pk, _territory_label(t)) for t in territories
        ]
        classification_field = self.fields["classification"]
        assert isinstance(classification_field, forms.ChoiceField)
        classification_field.choices = [("", _("Todas")), *Classification.choices]


class OrganizationRegisterForm(forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=300)
    classification = forms.ChoiceField(label=_("Clasificación"), choices=Classification.choices)
    size = forms.ChoiceField(
        label=_("Tamaño (solo empresas privadas)"),
        required=False,
        choices=[("", "—"), *FirmSize.choices],
    )
    area = forms.TypedChoiceField(label=_("Territorio"), coerce=int)
    ruc = forms.CharField(
        label=_("RUC"),
        required=False,
        max_length=20,
        help_text=_("13 dígitos. Opcional para organizaciones sin RUC."),
    )
    founding_date = forms.DateField(
        label=_("Fecha de fundación"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    summary = forms.CharField(label=_("Resumen"), required=False, max_length=500)

    def __init__(self, *args: Any, territories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [("", "—")] + [(t.pk, _territory_label(t)) for t in territories]

    def clean_ruc(self) -> str:
        value = str(self.cleaned_data.get("ruc", ""))
        if not value.strip():
            return ""
        try:
            return identifiers.validate("EC-RUC", value, field="ruc")
        except identifiers.InvalidIdentifier as e:
            raise forms.ValidationError(
                _("RUC no válido: %(reason)s") % {"reason": e.reason}
            ) from None
