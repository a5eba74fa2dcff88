"""HTML forms: they parse and check types; the rules are checked by the services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .models import BallotKind, Completion, Eligibility, ImplementationStatus, Rule, Satisfaction

# The most whole currency units an amount may have: stored in cents, it must fit the database's
# 64-bit integers (a larger one would fail in the database, not as a form error).
MAX_UNITS = services.BIGINT_MAX // services.UNIT_CENTS


class ProposalForm(forms.Form):
    budget = forms.TypedChoiceField(label=_("Presupuesto"), coerce=int)
    title = forms.CharField(label=_("Título"), max_length=200)
    description = forms.CharField(label=_("Descripción"), widget=forms.Textarea(attrs={"rows": 5}))
    estimated_cost = forms.IntegerField(
        label=_("Costo estimado"),
        min_value=1,
        max_value=MAX_UNITS,
        help_text=_("En unidades enteras de la moneda."),
    )
    location = forms.TypedChoiceField(label=_("Ubicación"), coerce=int)
    category = forms.TypedChoiceField(label=_("Categoría"), coerce=int)
    image = forms.FileField(label=_("Imagen (opcional, PNG o JPEG)"), required=False)
    image_alt = forms.CharField(label=_("Descripción de la imagen"), max_length=300, required=False)

    def __init__(
        self,
        *args: Any,
        budgets: list[tuple[int, str]],
        locations: list[tuple[int, str]],
        categories: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["budget"].choices = budgets  # type: ignore[attr-defined] # ChoiceField
        self.fields["location"].choices = locations  # type: ignore[attr-defined] # ChoiceField
        self.fields["category"].choices = categories  # type: ignore[attr-defined] # ChoiceField


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decisión"),
        choices=[("feasible", _("Viable")), ("unfeasible", _("No viable"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Motivo"), widget=forms.Textarea(attrs={"rows": 4}))
    adjusted_cost = forms.IntegerField(
        max_value=MAX_UNITS,
        label=_("Costo ajustado (opcional)"),
        min_value=1,
        required=False,
        help_text=_("En unidades enteras de la moneda; vacío si el estimado es correcto."),
    )


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("Archivo CSV"))

    def clean_file(self) -> str:
        try:
            return services.csv_upload_text(self.cleaned_data["file"])
        except services.BudgetingError as exc:
            raise forms.ValidationError(exc.message) from exc


class ClaimForm(forms.Form):
    identifier = forms.CharField(label=_("Número de cédula"), max_length=20)


class ReceiptCheckForm(forms.Form):
    receipt = forms.CharField(label=_("Código de comprobante"), max_length=40)


class UpdateForm(forms.Form):
    update_date = forms.DateField(label=_("Fecha"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("Estado"), choices=ImplementationStatus.choices)
    progress_percent = forms.IntegerField(label=_("Avance (%)"), min_value=0, max_value=100)
    spent = forms.IntegerField(
        label=_("Gastado hasta la fecha"),
        min_value=0,
        max_value=MAX_UNITS,
        help_text=_("En unidades de la moneda."),
    )
    note = forms.CharField(label=_("Nota"), widget=forms.Textarea(attrs={"rows": 3}))


class ProcessForm(forms.Form):
    territory = forms.TypedChoiceField(label=_("Territorio"), coerce=int)
    slug = forms.SlugField(
        label=_("Identificador para la dirección web"), max_length=80, help_text="pp-2026"
    )
    title = forms.CharField(label=_("Título"), max_length=200)
    description = forms.CharField(
        label=_("Descripción"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    proposals_open_at = forms.DateTimeField(
        label=_("Apertura de propuestas"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    review_open_at = forms.DateTimeField(
        label=_("Inicio de la revisión técnica"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    voting_open_at = forms.DateTimeField(
        label=_("Apertura de la votación"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    voting_close_at = forms.DateTimeField(
        label=_("Cierre de la votación"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    implementation_open_at = forms.DateTimeField(
        label=_("Inicio de la ejecución"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    rule = forms.ChoiceField(label=_("Regla"), choices=Rule.choices, initial=Rule.MES)
    satisfaction = forms.ChoiceField(
        label=_("Satisfacción"), choices=Satisfaction.choices, initial=Satisfaction.COST
    )
    completion = forms.ChoiceField(
        label=_("Completado"), choices=Completion.choices, initial=Completion.ADD1
    )
    ballot_kind = forms.ChoiceField(label=_("Tipo de papeleta"), choices=BallotKind.choices)
    min_projects = forms.IntegerField(label=_("Mínimo de proyectos"), min_value=0, initial=1)
    max_projects = forms.IntegerField(
        label=_("Máximo de proyectos (opcional)"), min_value=1, required=False
    )
    eligibility = forms.ChoiceField(label=_("Quién vota dónde"), choices=Eligibility.choices)
    budgets = forms.CharField(
        label=_("Presupuestos"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Una línea por presupuesto: código del territorio;nombre;monto en unidades enteras. "
            "Por ejemplo: 100350;Parroquia Cotacachi;60000"
        ),
    )
    categories = forms.CharField(
        label=_("Categorías"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Una categoría por línea."),
    )

    def __init__(self, *args: Any, territories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].choices = territories  # type: ignore[attr-defined] # ChoiceField
