from typing import cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActorsConfig(AppConfig):
    name = "minga.actors"
    label = "actors"
    verbose_name = _("Personas y organizaciones")

    def ready(self) -> None:
        from minga.core.opendata import Dataset, register

        from . import selectors

        register(
            Dataset(
                slug="popolo",
                name=cast(str, _("Personas y organizaciones (Popolo)")),
                description=cast(
                    str,
                    _(
                        "Organizaciones, personas (solo datos públicos), membresías y cargos en el "
                        "formato Popolo: una fila por objeto; el documento Popolo completo está en "
                        "/actors/popolo.json."
                    ),
                ),
                columns=selectors.POPOLO_ROW_COLUMNS,
                rows=selectors.popolo_rows,
                updated_at=selectors.people_and_organizations_updated_at,
                app="actors",
            )
        )
        register(
            Dataset(
                slug="organizations",
                name=cast(str, _("Directorio de organizaciones")),
                description=cast(
                    str,
                    _("Cada organización con su clasificación, tamaño, territorio, RUC y fechas."),
                ),
                columns=selectors.ORGANIZATION_CSV_COLUMNS,
                rows=selectors.organization_rows,
                updated_at=selectors.actors_updated_at,
                app="actors",
            )
        )
