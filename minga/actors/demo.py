"""Demo organisations and people of Cotacachi canton (Imbabura), loaded after the territories'
demo. Idempotent: an organisation is looked up by its RUC, a person by their cédula, and a
membership or post by what identifies it, so a second run creates nothing.

The names are invented, in the style of Cotacachi's social economy (Intag coffee, Cotacachi
leather, Kichwa communities); the RUCs and cédulas are made up with valid check digits and
belong to no one known."""

from datetime import date, datetime

from django.db import transaction

from minga.core.accountlist import DemoAccount
from minga.core.identifiers import (
    ec_cedula_check_digit,
    ec_private_ruc_check_digit,
    ec_public_ruc_check_digit,
)

from .models import Classification, FirmSize, Organization, Person, Post
from .selectors import (
    membership_exists,
    organization_by_identifier,
    person_by_identifier,
    post_by_label,
    territory_by_code,
)
from .services import membership_create, organization_create, person_create, post_create

ACTOR = "demo"


def demo_ruc(form: str, serial: int) -> str:
    """A made-up RUC of Imbabura (province 10) with a valid check digit."""
    while True:
        if form == "natural":
            body = f"101{serial:06d}"
            return body + str(ec_cedula_check_digit(body)) + "001"
        if form == "private":
            body = f"109{serial:06d}"
            check = ec_private_ruc_check_digit(body)
            suffix = "001"
        else:
            body = f"106{serial:05d}"
            check = ec_public_ruc_check_digit(body)
            suffix = "0001"
        if check is not None:
            return body + str(check) + suffix
        serial += 1  # that body has no valid check digit: take the next one


def demo_cedula(serial: int) -> str:
    body = f"100{serial:06d}"
    return body + str(ec_cedula_check_digit(body))


# name, classification, size, parish code, RUC form, serial, founding year, summary
ORGANIZATIONS: list[tuple[str, str, str, str, str, int, int, str]] = [
    (
        "Gobierno Autónomo Descentralizado Municipal de Santa Ana de Cotacachi",
        Classification.PUBLIC_BODY,
        "",
        "100350",
        "public",
        10031,
        1861,
        "Gobierno municipal del cantón Cotacachi.",
    ),
    (
        "Cooperativa de Ahorro y Crédito Santa Anita",
        Classification.COOPERATIVE,
        "",
        "100301",
        "private",
        100101,
        1998,
        "Ahorro y crédito para familias artesanas y agricultoras.",
    ),
    (
        "Cooperativa de Caficultores de Intag",
        Classification.COOPERATIVE,
        "",
        "100351",
        "private",
        100202,
        2004,
        "Café de altura de la zona de Intag, producido sin químicos.",
    ),
    (
        "Cooperativa de Transporte Imantag",
        Classification.COOPERATIVE,
        "",
        "100353",
        "private",
        100303,
        1989,
        "Transporte de pasajeros entre Imantag y Cotacachi.",
    ),
    (
        "Asociación de Artesanos del Cuero de Cotacachi",
        Classification.ASSOCIATIVE,
        "",
        "100302",
        "private",
        100404,
        1975,
        "Talabartería y marroquinería de la calle 10 de Agosto.",
    ),
    (
        "Asociación de Mujeres Tejedoras Warmikuna",
        Classification.ASSOCIATIVE,
        "",
        "100350",
        "private",
        100505,
        2009,
        "Tejidos y bordados kichwas hechos a mano.",
    ),
    (
        "Asociación Agroecológica de Cuellaje",
        Classification.ASSOCIATIVE,
        "",
        "100357",
        "private",
        100606,
        2012,
        "Feria agroecológica semanal y canasta comunitaria.",
    ),
    (
        "Comuna Morochos",
        Classification.COMMUNITY,
        "",
        "100350",
        "private",
        100707,
        1937,
        "Comunidad kichwa de las faldas del Cotacachi: turismo comunitario y minga.",
    ),
    (
        "Junta de Agua Potable de Peñaherrera",
        Classification.COMMUNITY,
        "",
        "100354",
        "private",
        100808,
        1995,
        "Administra el sistema comunitario de agua de la parroquia.",
    ),
    (
        "Comunidad de Plaza Gutiérrez",
        Classification.COMMUNITY,
        "",
        "100355",
        "private",
        100909,
        1970,
        "Organización comunitaria de la parroquia Plaza Gutiérrez.",
    ),
    (
        "Empresa Social Intag Sabores",
        Classification.SOCIAL_ENTERPRISE,
        "",
        "100352",
        "private",
        101010,
        2016,
        "Procesa panela, café y frutas de pequeños productores; reinvierte sus excedentes.",
    ),
    (
        "Cuidados Comunitarios Quiroga",
        Classification.SOCIAL_ENTERPRISE,
        "",
        "100356",
        "private",
        101111,
        2019,
        "Cuidado de personas mayores y de niñas y niños, con personal de la parroquia.",
    ),
    (
        "Talabartería Andrade",
        Classification.PRIVATE_FIRM,
        FirmSize.MICRO,
        "100302",
        "natural",
        101212,
        2001,
        "Taller familiar de artículos de cuero.",
    ),
    (
        "Hostería Vacas Galindo",
        Classification.PRIVATE_FIRM,
        FirmSize.SMALL,
        "100358",
        "private",
        101313,
        2010,
        "Alojamiento y alimentación en el valle de El Churo.",
    ),
    (
        "Consorcio de Turismo Comunitario de Cotacachi",
        Classification.CONSORTIUM,
        "",
        "100350",
        "private",
        101414,
        2014,
        "Red de las comunidades que ofrecen turismo comunitario en el cantón.",
    ),
]

# name, cédula serial, area code, summary
PEOPLE: list[tuple[str, int, str, str]] = [
    ("Rosa Elena Quilumbaquín", 11, "100350", "Dirigente de la Asociación Warmikuna."),
    ("José Manuel Andrango", 22, "100351", "Caficultor de Apuela."),
    ("Luz María Cotacachi", 33, "100357", "Promotora de la feria agroecológica de Cuellaje."),
    ("Segundo Ramírez", 44, "100350", "Presidente de la Comuna Morochos."),
    ("Carmen Andrade", 55, "100302", "Talabartera."),
]

# (person serial, organisation RUC serial, post label, role, since)
MEMBERSHIPS: list[tuple[int, int, str, str, date]] = [
    (11, 100505, "Presidencia", "presidenta", date(2023, 3, 1)),
    (22, 100202, "Gerencia", "gerente", date(2021, 7, 15)),
    (33, 100606, "Secretaría", "secretaria", date(2024, 1, 10)),
    (44, 100707, "Presidencia del Cabildo", "presidente", date(2025, 1, 1)),
    (55, 101212, "", "propietaria", date(2001, 4, 2)),
    (11, 101414, "", "delegada", date(2024, 6, 1)),
]


@transaction.atomic
def load(*, now: datetime) -> list[DemoAccount]:
    organizations: dict[int, Organization] = {}
    for name, classification, size, code, form, serial, year, summary in ORGANIZATIONS:
        ruc = demo_ruc(form, serial)
        existing = organization_by_identifier(scheme="EC-RUC", identifier=ruc)
        if existing is not None:
            organizations[serial] = existing
            continue
        parish = territory_by_code(code=code)
        assert parish is not None, f"the territories demo must create parish {code} first"
        organizations[serial] = organization_create(
            actor=ACTOR,
            now=now,
            name=name,
            classification=classification,
            size=size,
            area_id=parish.pk,
            founding_date=date(year, 1, 1),
            summary=summary,
            identifiers=[("EC-RUC", ruc)],
        )
    people: dict[int, Person] = {}
    for name, serial, code, summary in PEOPLE:
        cedula = demo_cedula(serial)
        found = person_by_identifier(scheme="EC-CEDULA", identifier=cedula)
        if found is None:
            area = territory_by_code(code=code)
            found = person_create(
                actor=ACTOR,
                now=now,
                name=name,
                summary=summary,
                area_id=area.pk if area is not None else None,
                identifiers=[("EC-CEDULA", cedula)],
            )
        people[serial] = found
    for person_serial, org_serial, label, role, since in MEMBERSHIPS:
        person, org = people[person_serial], organizations[org_serial]
        post: Post | None = None
        if label:
            post = post_by_label(organization=org, label=label)
            if post is None:
                post = post_create(actor=ACTOR, now=now, organization=org, label=label, role=role)
        if not membership_exists(person=person, organization=org, role=role):
            membership_create(
                actor=ACTOR,
                now=now,
                person=person,
                organization=org,
                role=role,
                post=post,
                start_date=since,
                on_behalf_of=organizations[100505] if role == "delegada" else None,
            )
    return []
