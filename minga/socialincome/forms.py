"""Forms of the social income pages: they parse; the services decide."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .domain import CATEGORY_CODE_MAX, parse_parameter_value
from .models import Eligibility


def mark_errors(form: forms.Form) -> None:
    """Links each field to its error list (aria-describedby) and flags it (aria-invalid)."""
    for name in form.errors:
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            attrs["aria-describedby"] = f"{form[name].auto_id}-error"
            attrs["aria-invalid"] = "true"


class IssueForm(forms.Form):
    period = forms.RegexField(
        label=_("Mes (AAAA-MM)"),
        regex=r"^\d{4}-\d{2}$",
        error_messages={"invalid": _("Escriba el mes como AAAA-MM.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ExpireForm(forms.Form):
    as_of = forms.DateField(
        label=_("Vencer créditos al (AAAA-MM-DD)"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RegistryForm(forms.Form):
    file = forms.FileField(label=_("Archivo del registro (CSV)"))


class ServiceForm(forms.Form):
    accreditation = forms.TypedChoiceField(label=_("Organización y categoría"), coerce=int)
    cedula = forms.CharField(label=_("Cédula de la persona atendida"), max_length=20)
    service_date = forms.DateField(
        label=_("Fecha del servicio"), widget=forms.DateInput(attrs={"type": "date"})
    )
    hours = forms.CharField(
        label=_("Horas"), max_length=8, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de 8 dígitos"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    decision = forms.ChoiceField(
        label=_("¿Recibió el servicio?"),
        choices=[("confirm", _("Sí, lo confirmo")), ("dispute", _("No, lo impugno"))],
        widget=forms.RadioSelect,
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Valoración (1 a 5)"),
        coerce=int,
        choices=[(i, str(i)) for i in range(1, 6)],
    )


class SettleForm(forms.Form):
    until = forms.DateField(
        label=_("Liquidar servicios confirmados hasta (AAAA-MM-DD)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class BankAnswerForm(forms.Form):
    answer = forms.FileField(label=_("Respuesta del banco (CSV id,status)"))


def parameter_field_name(key: str) -> str:
    """A parameter key as a form field name (ids and names without colons)."""
    return "param_" + key.replace(":", "__")


class ParameterChangeForm(forms.Form):
    """A proposal: one field per parameter in force, filled with its current value; the values
    changed make the proposal. The service checks them against the whole parameter set."""

    summary = forms.CharField(label=_("Resumen de la propuesta"), max_length=300)
    effective_date = forms.DateField(
        label=_("Vigente desde (AAAA-MM-DD)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, lines: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys: dict[str, str] = {}  # field name -> parameter key
        self.current: dict[str, Any] = {}
        for line in lines:
            name = parameter_field_name(line.key)
            self.keys[name] = line.key
            self.current[line.key] = line.value
            self.fields[name] = forms.CharField(
                label=f"{line.label} ({line.key})",
                initial=str(line.value),
                required=False,
                max_length=120,
            )

    def parameter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.keys]

    def field_of(self, key: str) -> str:
        return parameter_field_name(key) if parameter_field_name(key) in self.keys else key

    def changed_values(self) -> dict[str, Any]:
        """The parameters whose typed value differs from the one in force (a field left empty
        keeps its value); a value that cannot be read is an error on its field."""
        values: dict[str, Any] = {}
        for name, key in self.keys.items():
            text = (self.cleaned_data.get(name) or "").strip()
            if not text:
                continue
            try:
                value = parse_parameter_value(key, text)
            except ValueError as error:
                self.add_error(name, str(error))
                continue
            if value != self.current[key]:
                values[key] = value
        return values


class CategoryProposalForm(forms.Form):
    """A new service category, approved by the board like every other change."""

    code = forms.CharField(
        label=_("Código (minúsculas, dígitos y guiones)"), max_length=CATEGORY_CODE_MAX
    )
    name = forms.CharField(label=_("Nombre de la categoría"), max_length=120)
    eligibility = forms.ChoiceField(label=_("Elegibilidad"), choices=Eligibility.choices)
    summary = forms.CharField(label=_("Resumen de la propuesta"), max_length=300)
    effective_date = forms.DateField(
        label=_("Vigente desde (AAAA-MM-DD)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, bands: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.band_numbers: list[int] = []
        for band in bands:
            self.band_numbers.append(band.number)
            self.fields[f"allotment_{band.number}"] = forms.IntegerField(
                label=_("Asignación mensual: %(band)s") % {"band": band.name}, min_value=1
            )

    def allotment_fields(self) -> list[forms.BoundField]:
        return [self[f"allotment_{n}"] for n in self.band_numbers]

    def allotments(self) -> dict[int, int]:
        return {n: self.cleaned_data[f"allotment_{n}"] for n in self.band_numbers}

    def field_of(self, key: str) -> str:
        """The form field a service error's key names (`allotment:2:code` -> allotment_2)."""
        kind, _sep, rest = key.partition(":")
        if kind == "allotment":
            return f"allotment_{rest.partition(':')[0]}"
        if kind == "category":
            return "code"
        return {"eligibility": "eligibility"}.get(kind, key)


class ChangeDecisionForm(forms.Form):
    """The board's decision on one proposal (prefixed by the proposal, one form per row)."""

    motion = forms.TypedChoiceField(label=_("Moción votada por el directorio"), coerce=int)

    def __init__(self, *args: Any, motions: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["motion"].choices = [  # type: ignore[attr-defined] # a ChoiceField
            (m.pk, f"{m.title} · {m.get_outcome_display()} · {m.meeting.starts_at:%Y-%m-%d}")
            for m in motions
        ]


class PutToBoardForm(forms.Form):
    """Puts one proposal to a meeting of the board as a motion (prefixed by the proposal)."""

    meeting = forms.TypedChoiceField(label=_("Sesión del directorio"), coerce=int)

    def __init__(self, *args: Any, meetings: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = [  # type: ignore[attr-defined] # a ChoiceField
            (m.pk, f"{m.title} · {m.starts_at:%Y-%m-%d %H:%M}") for m in meetings
        ]
