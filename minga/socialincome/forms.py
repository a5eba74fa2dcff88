"""Forms of the social income pages: they parse; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


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
