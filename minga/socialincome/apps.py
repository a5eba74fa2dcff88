from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialincomeConfig(AppConfig):
    name = "minga.socialincome"
    label = "socialincome"
    verbose_name = _("Ingreso social para el cuidado")
