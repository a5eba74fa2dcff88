from typing import cast

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetingConfig(AppConfig):
    name = "minga.budgeting"
    label = "budgeting"
    verbose_name = _("Presupuestos participativos")

    def ready(self) -> None:
        from minga.core.opendata import Dataset, register

        from . import selectors

        register(
            Dataset(
                slug="budgeting-processes",
                name=cast(str, _("Presupuestos participativos: procesos y presupuestos")),
                description=cast(
                    str,
                    _(
                        "Cada proceso con sus fases, su regla de cómputo y sus presupuestos "
                        "(una fila por presupuesto; montos en centavos)."
                    ),
                ),
                columns=(
                    "process",
                    "title",
                    "territory_code",
                    "country_code",
                    "currency",
                    "budget_id",
                    "budget_name",
                    "budget_territory_code",
                    "budget_amount_cents",
                    "proposals_open_at",
                    "review_open_at",
                    "voting_open_at",
                    "voting_close_at",
                    "implementation_open_at",
                    "rule",
                    "satisfaction",
                    "completion",
                    "results_published_at",
                ),
                rows=selectors.processes_open_data_rows,
                updated_at=selectors.budgeting_updated_at,
                app="budgeting",
            )
        )
        register(
            Dataset(
                slug="budgeting-projects",
                name=cast(str, _("Presupuestos participativos: proyectos")),
                description=cast(
                    str,
                    _(
                        "Las propuestas, su revisión técnica, si fueron seleccionadas "
                        "y su ejecución."
                    ),
                ),
                columns=(
                    "process",
                    "project_id",
                    "budget_id",
                    "title",
                    "category",
                    "location_code",
                    "estimated_cost_cents",
                    "cost_cents",
                    "status",
                    "review_reason",
                    "selected",
                    "implementation_status",
                    "progress_percent",
                    "spent_cents",
                    # The council decision (priority need) the category answers; last, so that
                    # readers of the earlier columns by position are not disturbed.
                    "category_decision_id",
                ),
                rows=selectors.projects_open_data_rows,
                updated_at=selectors.budgeting_updated_at,
                app="budgeting",
            )
        )
        register(
            Dataset(
                slug="budgeting-results",
                name=cast(str, _("Presupuestos participativos: resultados")),
                description=cast(
                    str,
                    _(
                        "Votos por proyecto, selección proporcional y codiciosa, y la explicación "
                        "de cada resultado."
                    ),
                ),
                columns=(
                    "process",
                    "budget_id",
                    "project_id",
                    "title",
                    "cost_cents",
                    "votes",
                    "selected",
                    "selection_order",
                    "selected_by_greedy",
                    "explanation",
                    "rule",
                    "satisfaction",
                    "completion",
                ),
                rows=selectors.results_open_data_rows,
                updated_at=selectors.budgeting_updated_at,
                app="budgeting",
            )
        )
        register(
            Dataset(
                slug="budgeting-ballots",
                name=cast(str, _("Presupuestos participativos: papeletas anónimas")),
                description=cast(
                    str,
                    _(
                        "Las papeletas de cada presupuesto, sin dato alguno de quién votó, "
                        "publicadas con los resultados. El identificador es el del comprobante."
                    ),
                ),
                columns=("process", "budget_id", "voter_id", "projects"),
                rows=selectors.ballots_open_data_rows,
                updated_at=selectors.budgeting_updated_at,
                app="budgeting",
            )
        )
