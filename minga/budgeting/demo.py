"""Demo data: two participatory-budgeting processes of Cotacachi canton.

- "pp-cotacachi-2025", finished: budgets for three parishes, reviewed proposals, a census,
  paper ballots, results published with the Method of Equal Shares (cost satisfaction, Add1)
  and the first progress reports on the funded projects.
- "pp-cotacachi-2026", open for voting now: the demo resident ("residente") has verified their
  cédula and can vote, and change their vote, on the Cotacachi parish budget.
- "pp-cotacachi-2027", open for proposals since yesterday: besides its own categories it has
  taken the priority needs that the joint council has published (the councils demo's childcare
  need in Apuela), and the resident has proposed a project that answers it.

The history is written by the demo administrator ("admin"), who acts everywhere: the demo
official's role only starts when the demo is loaded, after the dates of this history.
Idempotent: a process whose slug exists is left as it is. Returns no accounts."""

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from minga.accounts.selectors import user_by_username
from minga.core.accountlist import DemoAccount

from . import services
from .selectors import process_by_slug, territory_of

DAY = timedelta(days=1)
PARISHES = {"100350": "Cotacachi", "100351": "Apuela", "100356": "Quiroga"}
CATEGORIES = ("Agua y saneamiento", "Vías y movilidad", "Educación y cultura", "Ambiente")
# (parish, title, category, estimated cost, adjusted cost or None, feasible)
PROJECTS_2025 = [
    ("100350", "Agua potable para el barrio El Ejido", 0, 22_000, 25_000, True),
    ("100350", "Adoquinado de la calle Sucre", 1, 18_000, None, True),
    ("100350", "Biblioteca comunitaria en la casa barrial", 2, 9_000, None, True),
    ("100350", "Reforestación de la quebrada Pichaví", 3, 6_000, 7_000, True),
    ("100350", "Ciclovía a la laguna de Cuicocha", 1, 30_000, None, False),
    ("100351", "Canal de riego de Apuela alto", 0, 16_000, None, True),
    ("100351", "Puente peatonal sobre el río Intag", 1, 20_000, 24_000, True),
    ("100351", "Centro de acopio de café", 2, 8_000, None, True),
    ("100351", "Vivero de especies nativas", 3, 5_000, None, True),
    ("100356", "Tanque de reserva de agua", 0, 12_000, None, True),
    ("100356", "Cancha cubierta de la comunidad", 2, 15_000, None, True),
    ("100356", "Señalética vial en la vía a Quiroga", 1, 4_000, None, True),
]
BUDGETS_2025 = {"100350": 60_000, "100351": 40_000, "100356": 25_000}
PROJECTS_2026 = [
    ("100350", "Mercado artesanal de cuero", 2, 20_000, None, True),
    ("100350", "Alcantarillado del barrio San Teodoro", 0, 28_000, None, True),
    ("100350", "Parque infantil inclusivo", 2, 12_000, None, True),
    ("100350", "Sendero turístico Cuicocha", 3, 15_000, 18_000, True),
    ("100351", "Mejoramiento de la vía a Peñaherrera", 1, 25_000, None, True),
]
BUDGETS_2026 = {"100350": 50_000, "100351": 30_000}
BUDGETS_2027 = {"100350": 55_000, "100351": 35_000, "100356": 25_000}
# Each parish's residents lean towards some projects (by position in its list above).
LEANINGS = {
    "100350": [[0, 1], [0, 3], [1, 2], [2, 3], [0, 2, 3]],
    "100351": [[0, 1], [0], [2, 3], [1, 2]],
    "100356": [[0], [0, 1], [1, 2]],
}


class DemoPrerequisiteMissing(Exception):
    pass


def demo_cedula(n: int) -> str:
    """Valid demo cédulas of Imbabura (province 10), numbered from 1."""
    from minga.core.identifiers import ec_cedula_check_digit

    first_nine = f"1059{n:05d}"
    return first_nine + str(ec_cedula_check_digit(first_nine))


def _prerequisites() -> tuple[Any, dict[str, Any], Any, Any]:
    cotacachi = territory_of(country_code="EC", code="1003")
    parishes = {code: territory_of(country_code="EC", code=code) for code in PARISHES}
    admin = user_by_username(username="admin")
    resident = user_by_username(username="residente")
    if cotacachi is None or None in parishes.values() or admin is None or resident is None:
        raise DemoPrerequisiteMissing(
            "the budgeting demo needs Cotacachi (EC:1003) and its parishes from the territories "
            "demo, and the 'admin' and 'residente' accounts from the accounts demo"
        )
    return cotacachi, parishes, admin, resident


def _set_up(
    *,
    slug: str,
    title: str,
    description: str,
    opens_at: datetime,
    budgets: dict[str, int],
    cotacachi: Any,
    parishes: dict[str, Any],
    admin: Any,
) -> tuple[Any, dict[str, Any], list[Any]]:
    """A process whose proposals open at `opens_at` (the phases follow at the demo's fixed
    distances), with a budget per parish and the demo's categories, set up the days before."""
    process = services.process_create(
        actor=admin,
        territory=cotacachi,
        slug=slug,
        title=title,
        description=description,
        proposals_open_at=opens_at,
        review_open_at=opens_at + 30 * DAY,
        voting_open_at=opens_at + 50 * DAY,
        voting_close_at=opens_at + 64 * DAY,
        implementation_open_at=opens_at + 80 * DAY,
        now=opens_at - 5 * DAY,
    )
    setup_at = opens_at - 4 * DAY
    budget_of = {
        code: services.budget_create(
            actor=admin,
            process=process,
            territory=parishes[code],
            name=f"Parroquia {PARISHES[code]}",
            amount_cents=amount * 100,
            now=setup_at,
        )
        for code, amount in budgets.items()
    }
    categories = [
        services.category_create(actor=admin, process=process, name=name, now=setup_at)
        for name in CATEGORIES
    ]
    return process, budget_of, categories


def _build(
    *,
    slug: str,
    title: str,
    opens_at: datetime,
    projects: list[tuple[str, str, int, int, int | None, bool]],
    budgets: dict[str, int],
    census_size: int,
    cotacachi: Any,
    parishes: dict[str, Any],
    admin: Any,
    resident: Any,
) -> tuple[Any, dict[str, list[Any]]]:
    process, budget_of, categories = _set_up(
        slug=slug,
        title=title,
        description=(
            "Los residentes de Cotacachi deciden en qué se invierte parte del presupuesto de "
            "sus parroquias. Resultados con el Método de Partes Iguales."
        ),
        opens_at=opens_at,
        budgets=budgets,
        cotacachi=cotacachi,
        parishes=parishes,
        admin=admin,
    )
    setup_at = opens_at - 4 * DAY
    by_parish: dict[str, list[Any]] = {code: [] for code in budgets}
    for i, (code, name, category, cost, adjusted, feasible) in enumerate(projects):
        project = services.project_propose(
            actor=resident,
            process=process,
            budget=budget_of[code],
            title=name,
            description=f"{name}: propuesta de la asamblea barrial.",
            estimated_cost_cents=cost * 100,
            location=parishes[code],
            category=categories[category],
            now=opens_at + (i + 1) * DAY,
        )
        services.project_review(
            actor=admin,
            project=project,
            feasible=feasible,
            reason=(
                "Viable: la dirección de obras públicas confirma terreno y permisos."
                if feasible
                else "No viable: el trazado cruza la reserva ecológica Cotacachi-Cayapas."
            ),
            adjusted_cost_cents=adjusted * 100 if adjusted is not None else None,
            now=opens_at + (31 + i % 10) * DAY,
        )
        if feasible:
            by_parish[code].append(project)
    codes = list(budgets)
    rows = "".join(f"{demo_cedula(n)},{codes[n % len(codes)]}\n" for n in range(1, census_size + 1))
    services.census_import(
        actor=admin, process=process, csv_text="cedula,parroquia\n" + rows, now=setup_at
    )
    return process, by_parish


def _load_2025(now: datetime, cotacachi: Any, parishes: dict[str, Any], admin: Any, resident: Any):
    opens_at = now - 220 * DAY
    process, by_parish = _build(
        slug="pp-cotacachi-2025",
        title="Presupuesto participativo de Cotacachi 2025",
        opens_at=opens_at,
        projects=PROJECTS_2025,
        budgets=BUDGETS_2025,
        census_size=72,
        cotacachi=cotacachi,
        parishes=parishes,
        admin=admin,
        resident=resident,
    )
    # A fixed seed: the demo's ballots, and so its results, are the same on every machine.
    rng = random.Random(2025)  # noqa: S311 - demo data, not security
    codes = list(BUDGETS_2025)
    lines = ["cedula,presupuesto,proyectos"]
    for n in range(1, 73):
        if rng.random() < 0.2:
            continue  # about one in five stayed at home
        code = codes[n % len(codes)]
        leaning = rng.choice(LEANINGS[code])
        ids = [by_parish[code][i].pk for i in leaning]
        lines.append(f"{demo_cedula(n)},{code},{';'.join(str(i) for i in ids)}")
    services.paper_ballots_upload(
        actor=admin,
        process=process,
        csv_text="\n".join(lines) + "\n",
        filename="actas-mesas-cotacachi-2025.csv",
        now=opens_at + 63 * DAY,
    )
    services.results_compute(actor=admin, process=process, now=opens_at + 65 * DAY)
    first = True
    for projects in by_parish.values():
        for project in projects:
            project.refresh_from_db()
            if not project.selected:
                continue
            report_at = opens_at + 100 * DAY
            services.project_update_record(
                actor=admin,
                project=project,
                update_date=report_at.date(),
                status="in_progress",
                progress_percent=40,
                spent_cents=project.cost_cents * 35 // 100 // 100 * 100,
                note="Contrato firmado con una cooperativa local; obra iniciada.",
                now=report_at,
            )
            if first:
                done_at = opens_at + 190 * DAY
                services.project_update_record(
                    actor=admin,
                    project=project,
                    update_date=done_at.date(),
                    status="completed",
                    progress_percent=100,
                    spent_cents=project.cost_cents,
                    note="Obra entregada a la comunidad en asamblea.",
                    now=done_at,
                )
                first = False


def _load_2026(now: datetime, cotacachi: Any, parishes: dict[str, Any], admin: Any, resident: Any):
    opens_at = now - 52 * DAY
    process, _ = _build(
        slug="pp-cotacachi-2026",
        title="Presupuesto participativo de Cotacachi 2026",
        opens_at=opens_at,
        projects=PROJECTS_2026,
        budgets=BUDGETS_2026,
        census_size=20,
        cotacachi=cotacachi,
        parishes=parishes,
        admin=admin,
        resident=resident,
    )
    # demo_cedula(2) lives in parish 100350 (codes alternate): the resident votes there.
    services.census_claim(actor=resident, process=process, identifier=demo_cedula(2), now=now)


def _load_2027(now: datetime, cotacachi: Any, parishes: dict[str, Any], admin: Any, resident: Any):
    """The next cycle, in its proposals phase: its categories include the joint councils'
    priority needs (when the councils demo has published one), and the resident proposes a
    project that answers the first of them."""
    process, budget_of, _categories = _set_up(
        slug="pp-cotacachi-2027",
        title="Presupuesto participativo de Cotacachi 2027",
        description=(
            "Propuestas abiertas para el próximo ciclo. Las necesidades prioritarias que declaró "
            "el consejo paritario del cantón son categorías de propuestas."
        ),
        opens_at=now - DAY,
        budgets=BUDGETS_2027,
        cotacachi=cotacachi,
        parishes=parishes,
        admin=admin,
    )
    try:
        needs = services.priority_needs_take(actor=admin, process=process, now=now)
    except services.NoPriorityNeeds:
        return  # the councils demo has not run: the process keeps its own categories
    need = needs[0]
    # In the parish the need was declared for, when the process has a budget there.
    territory = need.source_decision.territory if need.source_decision else None
    code = territory.code if territory is not None and territory.code in budget_of else "100350"
    services.project_propose(
        actor=resident,
        process=process,
        budget=budget_of[code],
        title="Centro comunitario de cuidado infantil",
        description=(
            "Un centro de cuidado infantil para las familias que hoy viajan una hora para "
            "encontrar uno: responde a la necesidad prioritaria que declaró el consejo paritario."
        ),
        estimated_cost_cents=24_000 * 100,
        location=parishes[code],
        category=need,
        now=now,
    )


def load(*, now: datetime) -> list[DemoAccount]:
    cotacachi, parishes, admin, resident = _prerequisites()
    if process_by_slug(slug="pp-cotacachi-2025") is None:
        with transaction.atomic():
            _load_2025(now, cotacachi, parishes, admin, resident)
    if process_by_slug(slug="pp-cotacachi-2026") is None:
        with transaction.atomic():
            _load_2026(now, cotacachi, parishes, admin, resident)
    if process_by_slug(slug="pp-cotacachi-2027") is None:
        with transaction.atomic():
            _load_2027(now, cotacachi, parishes, admin, resident)
    return []
