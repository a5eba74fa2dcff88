from typing import cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoriesConfig(AppConfig):
    name = "minga.territories"
    label = "territories"
    verbose_name = _("Territorios")

    def ready(self) -> None:
        from minga.core import opendata

        from . import selectors

        opendata.register(
            opendata.Dataset(
                slug="territories",
                # The registry keeps the lazy strings, translated when the page is rendered.
                name=cast(str, _("Territorios")),
                description=cast(
                    str,
                    _(
                        "La división territorial de cada país: nivel, código oficial, nombre y "
                        "código del territorio al que pertenece (en Ecuador, los códigos DPA del "
                        "INEC)."
                    ),
                ),
                columns=("country_code", "level", "code", "name", "parent_code"),
                rows=selectors.territories_open_data_rows,
                updated_at=selectors.territories_updated_at,
                app="territories",
            )
        )
