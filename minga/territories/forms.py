from django import forms
from django.utils.translation import gettext_lazy as _

from .geo import name_fold


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Buscar un territorio por nombre"),
        max_length=100,
        help_text=_("Por ejemplo: Cotacachi, Imbabura, Cañar. No importan tildes ni mayúsculas."),
    )

    def clean_q(self) -> str:
        value: str = self.cleaned_data["q"]
        if len(name_fold(value)) < 2:
            raise forms.ValidationError(_("Escriba al menos 2 letras o cifras."))
        return value
