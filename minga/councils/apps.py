from typing import cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "minga.councils"
    label = "councils"
    verbose_name = _("Consejos paritarios")

    def ready(self) -> None:
        from minga.core.opendata import Dataset, register
        from minga.territories import sections

        from . import selectors

        # The territory page shows the councils of the territory and the priority needs they
        # decided for it (or for any territory under it).
        sections.register(
            sections.Section(
                slug="councils",
                title=cast(str, _("Consejos paritarios y necesidades prioritarias")),
                template="councils/territory_section.html",
                context=selectors.territory_section,
                order=10,
            )
        )

        register(
            Dataset(
                slug="councils",
                name=cast(str, _("Consejos paritarios")),
                description=cast(
                    str,
                    _(
                        "Consejos paritarios de gobierno local y sociedad civil: territorio, "
                        "puestos de cada lado, reglas de quórum y de mayoría."
                    ),
                ),
                columns=(
                    "id",
                    "name",
                    "country_code",
                    "territory_code",
                    "territory",
                    "government_seats",
                    "civil_seats",
                    "first_chair_side",
                    "term_length_months",
                    "quorum_rule",
                    "majority_rule",
                ),
                rows=selectors.council_rows,
                updated_at=selectors.councils_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-composition",
                name=cast(str, _("Composición de los consejos")),
                description=cast(
                    str,
                    _(
                        "Cada mandato de cada periodo: persona, lado, puesto, cargo (presidencia o "
                        "vicepresidencia), origen (designación, elección o recuento) y fechas."
                    ),
                ),
                columns=(
                    "council_id",
                    "council",
                    "territory_code",
                    "term",
                    "side",
                    "seat",
                    "person_id",
                    "person",
                    "office",
                    "source",
                    "start_date",
                    "end_date",
                ),
                rows=selectors.composition_rows,
                updated_at=selectors.mandates_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-terms",
                name=cast(str, _("Periodos de los consejos")),
                description=cast(str, _("Periodos con sus fechas y el lado de la presidencia.")),
                columns=(
                    "council_id",
                    "council",
                    "term",
                    "start_date",
                    "end_date",
                    "chair_side",
                    "government_seats",
                    "civil_seats",
                ),
                rows=selectors.term_rows,
                updated_at=selectors.councils_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-elections",
                name=cast(
                    str, _("Elecciones de la sociedad civil: resultados y actas de escrutinio")
                ),
                description=cast(
                    str,
                    _(
                        "Candidaturas, electos en orden, cuota, semilla del sorteo y el acta de "
                        "escrutinio STV etapa por etapa."
                    ),
                ),
                columns=(
                    "election_id",
                    "council_id",
                    "council",
                    "term",
                    "seats",
                    "quota",
                    "seed",
                    "ballots",
                    "candidates",
                    "count_sheet",
                ),
                rows=selectors.election_rows,
                updated_at=selectors.elections_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-ballots-blt",
                name=cast(str, _("Papeletas anónimas (BLT)")),
                description=cast(
                    str,
                    _(
                        "Las papeletas de cada elección en formato BLT, para que cualquiera pueda "
                        "recontar."
                    ),
                ),
                columns=("election_id", "council", "term", "blt"),
                rows=selectors.blt_rows,
                updated_at=selectors.elections_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-meetings",
                name=cast(str, _("Sesiones de los consejos")),
                description=cast(str, _("Sesiones con su asistencia, quórum y acta publicada.")),
                columns=(
                    "meeting_id",
                    "council_id",
                    "council",
                    "term",
                    "title",
                    "starts_at",
                    "place",
                    "present",
                    "quorum_reached",
                    "minutes",
                ),
                rows=selectors.meeting_rows,
                updated_at=selectors.meetings_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-votes",
                name=cast(str, _("Votaciones nominales de los consejos")),
                description=cast(str, _("El voto de cada miembro en cada moción, y su resultado.")),
                columns=(
                    "council_id",
                    "council",
                    "meeting_id",
                    "meeting",
                    "meeting_at",
                    "motion_id",
                    "motion",
                    "outcome",
                    "person_id",
                    "person",
                    "side",
                    "vote",
                ),
                rows=selectors.vote_rows,
                updated_at=selectors.meetings_updated_at,
                app="councils",
            )
        )
        register(
            Dataset(
                slug="council-popolo",
                name=cast(str, _("Consejos paritarios (Popolo)")),
                description=cast(
                    str,
                    _(
                        "Los consejos en formato Popolo: una fila por objeto (persona, "
                        "organización, membresía con sus fechas, puesto de cada periodo); el "
                        "documento Popolo completo está en /councils/popolo.json."
                    ),
                ),
                columns=selectors.POPOLO_ROW_COLUMNS,
                rows=selectors.popolo_rows,
                updated_at=selectors.mandates_updated_at,
                app="councils",
            )
        )
