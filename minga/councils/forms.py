"""HTML forms of the councils pages. They parse and check the shape of the input; the rules of
the institution are the services' (their refusals are shown next to the field at fault)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MajorityRule, QuorumRule, ServiceCategory, Side, VoteChoice
from .services import DEFAULT_TERM_LENGTH_MONTHS, MAX_SEATS_PER_SIDE


def mark_errors(form: forms.Form) -> None:
    """Links each field to its error list (aria-describedby) and flags it (aria-invalid), so a
    screen reader announces the error with the field."""
    for name in form.errors:
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            attrs["aria-describedby"] = f"{form[name].auto_id}-error"
            attrs["aria-invalid"] = "true"


class CouncilForm(forms.Form):
    territory = forms.TypedChoiceField(label=_("Territorio"), coerce=int)
    name = forms.CharField(label=_("Nombre"), max_length=200)
    government_seats = forms.IntegerField(
        label=_("Puestos del gobierno"), min_value=1, max_value=MAX_SEATS_PER_SIDE
    )
    civil_seats = forms.IntegerField(
        label=_("Puestos de la sociedad civil"), min_value=1, max_value=MAX_SEATS_PER_SIDE
    )
    first_chair_side = forms.ChoiceField(
        label=_("Presidencia del primer periodo"), choices=Side.choices
    )
    term_length_months = forms.IntegerField(
        label=_("Duración del periodo (meses)"),
        min_value=1,
        max_value=120,
        initial=DEFAULT_TERM_LENGTH_MONTHS,
    )
    quorum_rule = forms.ChoiceField(label=_("Regla de quórum"), choices=QuorumRule.choices)
    majority_rule = forms.ChoiceField(label=_("Regla de mayoría"), choices=MajorityRule.choices)

    def __init__(self, *args: Any, territories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].choices = [  # type: ignore[attr-defined] # ChoiceField
            (t.pk, f"{t.name} ({t.code})") for t in territories
        ]


class TermForm(forms.Form):
    start_date = forms.DateField(label=_("Inicio"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        label=_("Fin (opcional: por defecto, la duración del periodo del consejo)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class DesignationForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Persona designada"), coerce=int)
    start_date = forms.DateField(label=_("Desde"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(
        label=_("Acto de designación (resolución, oficio)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, persons: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [  # type: ignore[attr-defined] # ChoiceField
            (p.pk, p.name) for p in persons
        ]


class MandateEndForm(forms.Form):
    end_date = forms.DateField(
        label=_("Fecha en que deja el puesto"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Motivo"), max_length=300)


class RecountForm(forms.Form):
    start_date = forms.DateField(
        label=_("Fecha en que ocupa el puesto"), widget=forms.DateInput(attrs={"type": "date"})
    )


class OfficersForm(forms.Form):
    chair = forms.TypedChoiceField(label=_("Presidencia"), coerce=int)
    vice_chair = forms.TypedChoiceField(label=_("Vicepresidencia"), coerce=int)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(m.pk, f"{m.person.name} ({m.get_side_display()})") for m in members]
        self.fields["chair"].choices = choices  # type: ignore[attr-defined] # ChoiceField
        self.fields["vice_chair"].choices = choices  # type: ignore[attr-defined] # ChoiceField


class NominationForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Organización que nomina"), coerce=int)
    person = forms.TypedChoiceField(label=_("Persona nominada"), coerce=int)

    def __init__(
        self, *args: Any, organizations: list[Any], persons: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [  # type: ignore[attr-defined] # ChoiceField
            (o.pk, o.name) for o in organizations
        ]
        self.fields["person"].choices = [  # type: ignore[attr-defined] # ChoiceField
            (p.pk, p.name) for p in persons
        ]


class BallotForm(forms.Form):
    """One select per rank: accessible without drag and drop. Rank 1 is required; later ranks
    are optional but may not skip (a blank rank followed by a filled one is refused)."""

    organization = forms.TypedChoiceField(label=_("Organización que vota"), coerce=int)

    def __init__(
        self, *args: Any, organizations: list[Any], candidates: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [  # type: ignore[attr-defined] # ChoiceField
            (o.pk, o.name) for o in organizations
        ]
        options = [("", _("— sin preferencia —"))] + [
            (str(c.candidate_number), f"{c.candidate_number}. {c.person.name}") for c in candidates
        ]
        self.rank_names = []
        for rank in range(1, len(candidates) + 1):
            name = f"rank_{rank}"
            self.rank_names.append(name)
            self.fields[name] = forms.ChoiceField(
                label=_("Preferencia %(n)d") % {"n": rank},
                choices=options,
                required=rank == 1,
            )

    def rank_fields(self) -> list[Any]:
        return [self[name] for name in self.rank_names]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        gap = None
        for rank, name in enumerate(self.rank_names, start=1):
            value = cleaned.get(name)
            if not value:
                gap = gap or rank
            elif gap is not None:
                self.add_error(
                    name,
                    _("Preferencia %(n)d: la preferencia %(gap)d está vacía.")
                    % {"n": rank, "gap": gap},
                )
                break
        return cleaned

    def preferences(self) -> list[int]:
        return [int(v) for name in self.rank_names if (v := self.cleaned_data.get(name))]


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Título"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Fecha y hora"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("Lugar"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("Orden del día (un punto por línea)"), widget=forms.Textarea, required=False
    )

    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["agenda"].splitlines() if line.strip()]


class MotionForm(forms.Form):
    title = forms.CharField(label=_("Moción"), max_length=300)
    text = forms.CharField(label=_("Texto"), widget=forms.Textarea, required=False)


class VotesForm(forms.Form):
    """One select per member present: their vote, recorded by name."""

    def __init__(self, *args: Any, present: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— no vota —")), *VoteChoice.choices]
        self.vote_names = []
        for attendance in present:
            name = f"vote_{attendance.mandate_id}"
            self.vote_names.append((name, attendance.mandate_id))
            self.fields[name] = forms.ChoiceField(
                label=attendance.mandate.person.name, choices=choices, required=False
            )

    def votes(self) -> dict[int, str]:
        return {
            mandate_id: self.cleaned_data[name]
            for name, mandate_id in self.vote_names
            if self.cleaned_data.get(name)
        }


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decisión"), widget=forms.Textarea)
    is_priority_need = forms.BooleanField(label=_("Es una necesidad prioritaria"), required=False)
    service_category = forms.ChoiceField(
        label=_("Categoría de servicio"),
        choices=[("", _("— ninguna —")), *ServiceCategory.choices],
        required=False,
    )
    territory = forms.TypedChoiceField(label=_("Territorio"), coerce=int, required=False)

    def __init__(self, *args: Any, territories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory"].choices = [("", _("— ninguno —"))] + [  # type: ignore[attr-defined] # ChoiceField
            (t.pk, f"{t.name} ({t.code})") for t in territories
        ]


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Acta"), widget=forms.Textarea)
