"""Demo: the joint council of Cotacachi canton (3 government + 3 civil seats), its current term,
a completed civil election (nominations, ballots from the canton's solidarity-economy
organisations, the STV count and its published count sheet), a meeting with quorum and a motion
voted by name that becomes a published priority need.

Everything is made through the services. Idempotent: when the council exists, nothing is done.
The organisations' ballots are cast by their delegates; organisations of the actors demo that
have no delegate get one here (an account named `delegado-demo-<id>` with an unpublished random
password: it exists only so that the ballot is cast the way every ballot is)."""

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from minga.accounts.selectors import (
    access_organization_as_delegate,
    access_territory_as_official,
    user_by_username,
)
from minga.accounts.services import role_assign, user_create
from minga.actors.services import organization_create, person_create
from minga.core.accountlist import DemoAccount
from minga.core.roles import Role
from minga.territories.selectors import territory_by_code

from . import selectors, services
from .models import Side

COUNCIL_NAME = "Consejo Cantonal de Planificación Participativa de Cotacachi"
COTACACHI = ("EC", "1003")
SEED = 20260101
MIN_VOTERS = 7

GOVERNMENT = ("Auki Tituaña Males", "Marcela Proaño Vinueza", "Jorge Morales Gudiño")
CANDIDATES = (
    "Blanca Chancosa Farinango",  # 1
    "Carlos Zorrilla Obando",  # 2
    "María Fernanda Guevara",  # 3
    "Alfonso Morales Cuasqui",  # 4
    "Silvia Quilumbango Perugachi",  # 5
)
# Ranked ballots, one per organisation, in turn (candidate numbers follow the names' order).
BALLOTS = (
    [1, 3, 5],
    [2, 4],
    [1, 5],
    [3, 1, 2],
    [4, 2, 3],
    [5, 1],
    [2, 3, 4, 1],
    [1, 2],
    [3, 5, 1],
    [4, 3],
)
EXTRA_ORGANIZATIONS = (
    ("Comuna Morochos", "community", "100350"),
    ("Asociación de Productores Agroecológicos de Quiroga", "associative", "100356"),
    ("Cooperativa de Producción Lechera Imantag", "cooperative", "100353"),
    ("Empresa Social Sumak Mikuy", "social_enterprise", "100301"),
    ("Asociación de Turismo Comunitario Runa Tupari", "associative", "100350"),
    ("Cooperativa Agrícola de García Moreno", "cooperative", "100352"),
    ("Comunidad Kichwa de Topo Grande", "community", "100350"),
)


def _actor(territory: Any, now: datetime) -> Any:
    """The official who records the council's acts: the accounts demo's official of Cotacachi,
    or, when that demo has not run, an account of the council's secretariat made here."""
    official = user_by_username(username="funcionaria")
    if official is not None and access_territory_as_official(official, territory, at=now):
        return official
    username = "secretaria-consejo-demo"
    user = user_by_username(username=username) or user_create(
        actor="demo", username=username, password=secrets.token_urlsafe(24), now=now
    )
    role_assign(
        actor="demo",
        user=user,
        role=Role.OFFICIAL,
        territory=territory,
        active_from=now - timedelta(days=1),
        now=now,
    )
    return user


def _delegate_for(organization: Any, now: datetime) -> Any:
    demo_delegate = user_by_username(username="delegada")
    if demo_delegate is not None and access_organization_as_delegate(demo_delegate, organization):
        return demo_delegate
    username = f"delegado-demo-{organization.pk}"
    user = user_by_username(username=username)
    if user is None:
        user = user_create(
            actor="demo", username=username, password=secrets.token_urlsafe(24), now=now
        )
    if not access_organization_as_delegate(user, organization, at=now):
        role_assign(
            actor="demo",
            user=user,
            role=Role.DELEGATE,
            organization=organization,
            active_from=now - timedelta(days=1),
            now=now,
        )
    return user


@transaction.atomic
def load(*, now: datetime) -> list[DemoAccount]:
    cotacachi = territory_by_code(country_code=COTACACHI[0], code=COTACACHI[1])
    if cotacachi is None or selectors.council_name_taken(territory=cotacachi, name=COUNCIL_NAME):
        return []
    actor = _actor(cotacachi, now)
    council = services.council_create(
        actor=actor,
        territory=cotacachi,
        name=COUNCIL_NAME,
        government_seats=3,
        civil_seats=3,
        first_chair_side=Side.GOVERNMENT,
        now=now,
    )
    term = services.term_create(
        actor=actor, council=council, start_date=date(now.year, 1, 1), now=now
    )
    for seat, name in zip(
        term.seats.filter(side=Side.GOVERNMENT).order_by("number"), GOVERNMENT, strict=True
    ):
        services.seat_designate(
            actor=actor,
            seat=seat,
            person=person_create(actor="demo", now=now, name=name, area_id=cotacachi.pk),
            start_date=term.start_date,
            reference=f"Resolución administrativa {now.year}-{seat.number:03d}",
            now=now,
        )

    # The electorate: the canton's solidarity-economy organisations (more if too few).
    voters = list(selectors.organizations_eligible(council=council, on=now.date()).order_by("pk"))
    for name, classification, code in EXTRA_ORGANIZATIONS[: max(0, MIN_VOTERS - len(voters))]:
        parish = territory_by_code(country_code="EC", code=code) or cotacachi
        voters.append(
            organization_create(
                actor="demo", now=now, name=name, classification=classification, area_id=parish.pk
            )
        )
    delegates = [(org, _delegate_for(org, now)) for org in voters]

    election = services.election_open(actor=actor, term=term, now=now)
    for i, name in enumerate(CANDIDATES):
        org, delegate = delegates[i % len(delegates)]
        nomination = services.nomination_create(
            actor=delegate,
            election=election,
            organization=org,
            person=person_create(actor="demo", now=now, name=name, area_id=cotacachi.pk),
            now=now,
        )
        services.nomination_accept(actor=actor, nomination=nomination, now=now)
    services.election_voting_open(actor=actor, election=election, now=now)
    for i, (org, delegate) in enumerate(delegates):
        services.ballot_cast(
            actor=delegate,
            election=election,
            organization=org,
            preferences=BALLOTS[i % len(BALLOTS)],
            now=now,
        )
    services.election_count(actor=actor, election=election, seed=SEED, now=now)

    composition = selectors.composition(term=term)
    chair, vice = composition.government[0].mandate, composition.civil[0].mandate
    assert chair is not None and vice is not None
    services.term_officers_appoint(actor=actor, term=term, chair=chair, vice_chair=vice, now=now)

    meeting = services.meeting_create(
        actor=actor,
        council=council,
        title="Primera sesión ordinaria",
        starts_at=now,
        place="Salón de la Casa Municipal de Cotacachi",
        agenda=["Instalación del consejo", "Prioridades de servicios sociales"],
        now=now,
    )
    members = selectors.members_at(meeting=meeting)
    present = [m for m in members if not (m.side == Side.GOVERNMENT and m.seat.number == 3)]
    services.meeting_attendance_record(actor=actor, meeting=meeting, present=present, now=now)
    motion = services.motion_create(
        actor=actor,
        meeting=meeting,
        title="Priorizar los servicios de cuidado infantil en Apuela",
        text="Las familias de Apuela no tienen un centro de cuidado infantil a menos de una hora.",
        now=now,
    )
    choices = ["yes", "yes", "yes", "no", "abstain"]
    services.motion_votes_record(
        actor=actor,
        motion=motion,
        votes={m.pk: choices[i % len(choices)] for i, m in enumerate(present)},
        now=now,
    )
    apuela = territory_by_code(country_code="EC", code="100351") or cotacachi
    services.decision_publish(
        actor=actor,
        motion=motion,
        text="El cuidado infantil en Apuela es una necesidad prioritaria del cantón.",
        is_priority_need=True,
        service_category="care",
        territory=apuela,
        now=now,
    )
    services.meeting_minutes_publish(
        actor=actor,
        meeting=meeting,
        minutes=(
            "Se instaló el consejo con quórum. Se aprobó priorizar el cuidado infantil en Apuela."
        ),
        now=now,
    )
    return []
