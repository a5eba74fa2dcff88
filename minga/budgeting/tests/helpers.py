"""Test data for participatory budgeting, made through the real services. Territories are
created through the app registry (their services belong to another app)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.apps import apps

from minga.accounts.services import role_assign, user_create
from minga.actors import services as actors
from minga.budgeting import services
from minga.budgeting.models import Process
from minga.core.identifiers import ec_cedula_check_digit
from minga.core.roles import Role
from minga.councils import services as councils
from minga.councils.selectors import members_at as council_members_at

T0 = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)
PASSWORD = "una-clave-larga-2026"
DAY = timedelta(days=1)
# A moment inside each phase of a process made by `make_process`.
AT = {
    "upcoming": T0 - DAY,
    "proposals": T0 + DAY,
    "review": T0 + 11 * DAY,
    "voting": T0 + 21 * DAY,
    "results": T0 + 31 * DAY,
    "implementation": T0 + 41 * DAY,
}


def cedula(n: int, province: str = "10") -> str:
    """A valid Ecuadorian cédula, different for every n < 1,000,000."""
    first_nine = f"{province}0{n:06d}"
    return first_nine + str(ec_cedula_check_digit(first_nine))


def make_user(username: str, **extra: Any) -> Any:
    return user_create(
        actor="test", username=username, password=PASSWORD, now=T0 - 30 * DAY, **extra
    )


def _level(key: str, rank: int) -> Any:
    model = apps.get_model("territories", "TerritoryLevel")
    level, _ = model.objects.get_or_create(
        country_code="EC", key=key, defaults={"name": key.title(), "rank": rank}
    )
    return level


def make_territory(code: str, name: str, parent: Any = None) -> Any:
    model = apps.get_model("territories", "Territory")
    depth = 0 if parent is None else parent.depth + 1
    return model.objects.create(
        country_code="EC",
        level=_level(("provincia", "canton", "parroquia")[depth], depth),
        code=code,
        name=name,
        parent=parent,
        path=(parent.path if parent is not None else "/") + f"{code}/",
        depth=depth,
        created_at=T0,
        updated_at=T0,
    )


def territory_tree() -> dict[str, Any]:
    imbabura = make_territory("10", "Imbabura")
    cotacachi = make_territory("1003", "Cotacachi", imbabura)
    ibarra = make_territory("1001", "Ibarra", imbabura)
    return {
        "imbabura": imbabura,
        "cotacachi": cotacachi,
        "ibarra": ibarra,
        "urbana": make_territory("100350", "Cotacachi urbana", cotacachi),
        "apuela": make_territory("100351", "Apuela", cotacachi),
        "quiroga": make_territory("100358", "Quiroga", cotacachi),
        "ibarra_urbana": make_territory("100150", "Ibarra urbana", ibarra),
    }


def make_official(username: str, territory: Any) -> Any:
    user = make_user(username)
    role_assign(
        actor="test",
        user=user,
        role=Role.OFFICIAL,
        territory=territory,
        active_from=T0 - 20 * DAY,
        now=T0 - 20 * DAY,
    )
    return user


def make_process(territory: Any, *, actor: Any, slug: str = "pp-2026", **options: Any) -> Process:
    return services.process_create(
        actor=actor,
        territory=territory,
        slug=slug,
        title="Presupuesto participativo 2026",
        proposals_open_at=T0,
        review_open_at=T0 + 10 * DAY,
        voting_open_at=T0 + 20 * DAY,
        voting_close_at=T0 + 30 * DAY,
        implementation_open_at=T0 + 40 * DAY,
        now=T0 - 5 * DAY,
        **options,
    )


def propose(author: Any, budget: Any, title: str, cost_units: int, category: Any) -> Any:
    return services.project_propose(
        actor=author,
        process=budget.process,
        budget=budget,
        title=title,
        description=f"Descripción de {title}.",
        estimated_cost_cents=cost_units * 100,
        location=budget.territory,
        category=category,
        now=AT["proposals"],
    )


def review(official: Any, project: Any, *, feasible: bool = True, cost_units: int | None = None):
    return services.project_review(
        actor=official,
        project=project,
        feasible=feasible,
        reason="Viable según la dirección de obras." if feasible else "Fuera de competencia.",
        adjusted_cost_cents=cost_units * 100 if cost_units is not None else None,
        now=AT["review"],
    )


def census_csv(rows: list[tuple[str, str]]) -> str:
    return "cedula,parroquia\n" + "".join(f"{c},{p}\n" for c, p in rows)


def claim(user: Any, process: Any, identifier: str) -> Any:
    return services.census_claim(
        actor=user, process=process, identifier=identifier, now=AT["voting"]
    )


class World:
    """A process of Cotacachi with two parish budgets, reviewed projects and a census."""

    def __init__(self, **process_options: Any) -> None:
        self.t = territory_tree()
        self.official = make_official("funcionaria", self.t["cotacachi"])
        self.resident = make_user("rosa")
        self.process = make_process(self.t["cotacachi"], actor=self.official, **process_options)
        at = T0 - 4 * DAY
        self.urbana = services.budget_create(
            actor=self.official,
            process=self.process,
            territory=self.t["urbana"],
            name="Cotacachi urbana",
            amount_cents=100_000,
            now=at,
        )
        self.apuela = services.budget_create(
            actor=self.official,
            process=self.process,
            territory=self.t["apuela"],
            name="Apuela",
            amount_cents=50_000,
            now=at,
        )
        self.water = services.category_create(
            actor=self.official, process=self.process, name="Agua", now=at
        )
        self.roads = services.category_create(
            actor=self.official, process=self.process, name="Vías", now=at
        )
        # Urbana: costs 600, 400, 300, 500 of a budget of 1000.
        self.p1 = propose(self.resident, self.urbana, "Agua potable barrio norte", 600, self.water)
        self.p2 = propose(self.resident, self.urbana, "Adoquinado calle Bolívar", 400, self.roads)
        self.p3 = propose(self.resident, self.urbana, "Tanque comunitario", 300, self.water)
        self.p4 = propose(self.resident, self.urbana, "Puente peatonal", 500, self.roads)
        self.p5 = propose(self.resident, self.apuela, "Canal de riego", 450, self.water)
        for p in (self.p1, self.p2, self.p3, self.p4, self.p5):
            review(self.official, p)
        self.p1.refresh_from_db()
        services.census_import(
            actor=self.official,
            process=self.process,
            csv_text=census_csv(
                [(cedula(i), "100350") for i in range(1, 11)]
                + [(cedula(i), "100351") for i in range(11, 14)]
            ),
            now=at,
        )


# --- joint councils and their priority needs, through the councils' own services -------------

# Councils decide before the process opens its proposals phase (T0).
COUNCIL_AT = T0 - 10 * DAY


class JointCouncil:
    """A joint council of a territory with one government and one civil seat, both filled (the
    civil one by an election), met once, so that its motions pass and become decisions."""

    def __init__(self, territory: Any, official: Any, name: str) -> None:
        self.official = official
        now = COUNCIL_AT
        self.council = councils.council_create(
            actor=official,
            territory=territory,
            name=name,
            government_seats=1,
            civil_seats=1,
            first_chair_side="government",
            now=now,
        )
        term = councils.term_create(
            actor=official, council=self.council, start_date=date(2026, 1, 1), now=now
        )
        mayor, delegate_person = (
            actors.person_create(actor=None, now=now, name=f"{name}: {who}")
            for who in ("alcaldía", "sociedad civil")
        )
        seat = term.seats.get(side="government")
        councils.seat_designate(
            actor=official, seat=seat, person=mayor, start_date=term.start_date, now=now
        )
        org = actors.organization_create(
            actor=None,
            now=now,
            name=f"Cooperativa de {name}",
            classification="cooperative",
            area_id=territory.pk,
        )
        delegate = make_user(f"delegado-{self.council.pk}")
        role_assign(
            actor="test",
            user=delegate,
            role=Role.DELEGATE,
            organization=org,
            active_from=now - DAY,
            now=now,
        )
        election = councils.election_open(actor=official, term=term, now=now)
        nomination = councils.nomination_create(
            actor=delegate, election=election, organization=org, person=delegate_person, now=now
        )
        councils.nomination_accept(actor=official, nomination=nomination, now=now)
        councils.election_voting_open(actor=official, election=election, now=now)
        councils.ballot_cast(
            actor=delegate, election=election, organization=org, preferences=[1], now=now
        )
        councils.election_count(actor=official, election=election, seed=1, now=now)
        self.meeting = councils.meeting_create(
            actor=official,
            council=self.council,
            title="Sesión de prioridades",
            starts_at=COUNCIL_AT,
            now=now,
        )
        self.members = council_members_at(meeting=self.meeting)
        councils.meeting_attendance_record(
            actor=official, meeting=self.meeting, present=self.members, now=now
        )

    def declare(
        self, text: str, category: str, territory: Any, *, at: datetime = COUNCIL_AT
    ) -> Any:
        """A passed motion published as a priority need of `territory`."""
        motion = councils.motion_create(
            actor=self.official, meeting=self.meeting, title=text, now=at
        )
        councils.motion_votes_record(
            actor=self.official,
            motion=motion,
            votes={m.pk: "yes" for m in self.members},
            now=at,
        )
        return councils.decision_publish(
            actor=self.official,
            motion=motion,
            text=text,
            is_priority_need=True,
            service_category=category,
            territory=territory,
            now=at,
        )
