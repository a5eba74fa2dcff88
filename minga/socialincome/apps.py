from typing import cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

BOOKS_NAME = _("Ingreso social para el cuidado: cuentas por mes y categoría")
BOOKS_DESCRIPTION = _(
    "Por programa, territorio, mes y categoría: créditos emitidos, canjeados y vencidos (en la "
    "unidad del programa), horas de servicio, hogares beneficiarios y proveedores. Las filas con "
    "menos de 5 hogares beneficiarios se publican vacías."
)
PROVIDERS_NAME = _("Ingreso social para el cuidado: proveedores")
PROVIDERS_DESCRIPTION = _(
    "Por proveedor acreditado: horas prestadas, hogares atendidos (vacío si son menos de 5) y "
    "valoración media (vacía con menos de 5 valoraciones)."
)
PARAMETERS_NAME = _("Ingreso social para el cuidado: historial de parámetros")
PARAMETERS_DESCRIPTION = _(
    "Cada valor de bandas, asignaciones, reglas de elegibilidad y tarifas, desde cuándo rige y "
    "la moción del directorio que lo aprobó."
)
CHANGES_NAME = _("Ingreso social para el cuidado: propuestas de cambio de parámetros")
CHANGES_DESCRIPTION = _(
    "Cada propuesta de cambio de parámetros o de nueva categoría, con sus valores, la fecha desde "
    "la que regiría, su estado (propuesta, aprobada o rechazada) y la moción del directorio que "
    "la decidió."
)


class SocialincomeConfig(AppConfig):
    name = "minga.socialincome"
    label = "socialincome"
    verbose_name = _("Ingreso social para el cuidado")

    def ready(self) -> None:
        from minga.core.opendata import Dataset, register

        from . import selectors

        register(
            Dataset(
                slug="socialincome-books",
                name=cast(str, BOOKS_NAME),
                description=cast(str, BOOKS_DESCRIPTION),
                columns=(
                    "programme",
                    "territory",
                    "month",
                    "category",
                    "unit",
                    "issued",
                    "redeemed",
                    "expired",
                    "hours",
                    "beneficiaries",
                    "providers",
                ),
                rows=selectors.books_rows,
                updated_at=selectors.updated_at,
                app="socialincome",
            )
        )
        register(
            Dataset(
                slug="socialincome-providers",
                name=cast(str, PROVIDERS_NAME),
                description=cast(str, PROVIDERS_DESCRIPTION),
                columns=(
                    "programme",
                    "provider_id",
                    "provider",
                    "hours",
                    "beneficiaries",
                    "ratings",
                    "average_rating",
                ),
                rows=selectors.provider_rows,
                updated_at=selectors.updated_at,
                app="socialincome",
            )
        )
        register(
            Dataset(
                slug="socialincome-parameters",
                name=cast(str, PARAMETERS_NAME),
                description=cast(str, PARAMETERS_DESCRIPTION),
                columns=("programme", "key", "value", "active_from", "change", "motion"),
                rows=selectors.parameter_rows,
                updated_at=selectors.updated_at,
                app="socialincome",
            )
        )
        register(
            Dataset(
                slug="socialincome-parameter-changes",
                name=cast(str, CHANGES_NAME),
                description=cast(str, CHANGES_DESCRIPTION),
                columns=(
                    "programme",
                    "change",
                    "summary",
                    "values",
                    "effective_date",
                    "status",
                    "motion",
                    "proposed_at",
                    "decided_at",
                ),
                rows=selectors.parameter_change_rows,
                updated_at=selectors.parameters_updated_at,
                app="socialincome",
            )
        )
