"""Forms of the sign-in pages. They only parse input: the decisions are in the views' calls to
services and selectors."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Usuario"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Escribe tu nombre de usuario.")},
    )
    password = forms.CharField(
        label=_("Contraseña"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Escribe tu contraseña.")},
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Código de 6 dígitos"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "size": "8",
            }
        ),
        error_messages={"required": _("Escribe el código que muestra tu aplicación.")},
    )
