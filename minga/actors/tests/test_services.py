from datetime import date
from typing import Any

import pytest

from minga.actors import services
from minga.actors.models import (
    Classification,
    FirmSize,
    Membership,
    Organization,
    OrganizationIdentifier,
    Person,
    PersonIdentifier,
    Post,
)
from minga.core.models import AuditEvent

from .conftest import NOW, Places

pytestmark = pytest.mark.django_db

RUC_PRIVATE = "1792060346001"
RUC_PUBLIC = "1760001550001"
CEDULA = "1714307103"


def state() -> dict[str, Any]:
    """Everything a refused write must leave untouched."""
    return {
        "organizations": list(Organization.objects.order_by("id").values()),
        "org_identifiers": list(OrganizationIdentifier.objects.order_by("id").values()),
        "people": list(Person.objects.order_by("id").values()),
        "person_identifiers": list(PersonIdentifier.objects.order_by("id").values()),
        "memberships": list(Membership.objects.order_by("id").values()),
        "posts": list(Post.objects.order_by("id").values()),
        "audit": AuditEvent.objects.count(),
    }


def after_of(event: AuditEvent) -> dict[str, Any]:
    assert isinstance(event.after, dict)
    return event.after


def before_of(event: AuditEvent) -> dict[str, Any]:
    assert isinstance(event.before, dict)
    return event.before


def make_org(places: Places, **kwargs: Any) -> Organization:
    fields: dict[str, Any] = {
        "name": "Cooperativa Tejidos Cotacachi",
        "classification": Classification.COOPERATIVE,
        "area_id": places.cotacachi_town.pk,
    }
    fields.update(kwargs)
    return services.organization_create(actor=None, now=NOW, **fields)


def make_person(**kwargs: Any) -> Person:
    fields: dict[str, Any] = {"name": "María Quilumbaquín"}
    fields.update(kwargs)
    return services.person_create(actor=None, now=NOW, **fields)


def test_creating_an_organization_stores_it_with_its_ruc_and_one_audit_event(
    places: Places,
) -> None:
    org = make_org(
        places,
        name="  Unión de  Artesanos ",
        classification=Classification.PRIVATE_FIRM,
        size=FirmSize.MICRO,
        other_names=["UA Cotacachi"],
        summary="Talabartería",
        identifiers=[("EC-RUC", "179206034-6001")],
        founding_date=date(2001, 5, 4),
    )

    org.refresh_from_db()
    assert org.name == "Unión de Artesanos"
    assert org.size == "micro"
    assert list(org.identifiers.values_list("scheme", "identifier")) == [("EC-RUC", RUC_PRIVATE)]
    assert org.search_text == "union de artesanos ua cotacachi talabarteria 1792060346001"
    events = list(AuditEvent.objects.filter(object_type__startswith="actors."))
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("organization.create", "actors.organization", str(org.pk))
    ]
    assert after_of(events[0])["identifiers"] == [{"scheme": "EC-RUC", "identifier": RUC_PRIVATE}]
    assert after_of(events[0])["founding_date"] == "2001-05-04"


@pytest.mark.parametrize(
    ("kwargs", "error", "field", "message"),
    [
        ({"name": "   "}, services.BlankName, "name", "El nombre no puede estar vacío."),
        (
            {"classification": "guild"},
            services.UnknownClassification,
            "classification",
            "La clasificación «guild» no existe.",
        ),
        (
            {"size": "small"},
            services.SizeForNonFirm,
            "size",
            "Solo una empresa privada tiene tamaño (micro, pequeña...).",
        ),
        (
            {"classification": "private_firm"},
            services.SizeMissing,
            "size",
            "Indique el tamaño de la empresa privada.",
        ),
        ({"area_id": 999999}, services.UnknownTerritory, "area", "El territorio 999999 no existe."),
        (
            {"parent_id": 999999},
            services.UnknownParent,
            "parent",
            "La organización madre 999999 no existe.",
        ),
        (
            {"identifiers": [("EC-RUC", "1792060347001")]},
            services.IdentifierRefused,
            "ruc",
            "RUC (Ecuador) no válido: el dígito verificador es 7, pero debería ser 6.",
        ),
        (
            {"identifiers": [("EC-CEDULA", CEDULA)]},
            services.IdentifierRefused,
            "identifiers.scheme",
            "El tipo de identificador EC-CEDULA no se aplica aquí.",
        ),
        (
            {"identifiers": [("XX-ID", "1")]},
            services.IdentifierRefused,
            "identifiers.scheme",
            "El tipo de identificador «XX-ID» no existe.",
        ),
        (
            {"identifiers": [("EC-RUC", RUC_PUBLIC), ("EC-RUC", RUC_PUBLIC)]},
            services.IdentifierTaken,
            "ruc",
            "El identificador 1760001550001 está repetido.",
        ),
    ],
)
def test_a_bad_organization_is_refused_naming_the_field_and_nothing_changes(
    places: Places, kwargs: dict[str, Any], error: type[Exception], field: str, message: str
) -> None:
    make_org(places, name="Existente", identifiers=[("EC-RUC", RUC_PRIVATE)])
    before = state()

    with pytest.raises(error) as info:
        make_org(places, **kwargs)

    assert isinstance(info.value, services.ActorsError)
    assert (info.value.field, info.value.message) == (field, message)
    assert state() == before


def test_a_ruc_already_held_by_another_organization_is_refused(places: Places) -> None:
    make_org(places, name="Primera", identifiers=[("EC-RUC", RUC_PRIVATE)])
    before = state()

    with pytest.raises(services.IdentifierTaken) as info:
        make_org(places, name="Segunda", identifiers=[("EC-RUC", RUC_PRIVATE)])

    assert info.value.message == "Ya hay una organización con el identificador 1792060346001."
    assert info.value.field == "ruc"
    assert state() == before


def test_updating_an_organization_records_before_and_after(places: Places) -> None:
    org = make_org(places)

    services.organization_update(
        actor=None,
        now=NOW,
        organization=org,
        name="Cooperativa Textil Cotacachi",
        classification=Classification.PRIVATE_FIRM,
        size=FirmSize.SMALL,
        area_id=places.apuela.pk,
    )

    org.refresh_from_db()
    assert (org.name, org.classification, org.size, org.area_id) == (
        "Cooperativa Textil Cotacachi",
        "private_firm",
        "small",
        places.apuela.pk,
    )
    assert org.search_text == "cooperativa textil cotacachi"
    event = AuditEvent.objects.get(action="organization.update")
    assert before_of(event)["name"] == "Cooperativa Tejidos Cotacachi"
    assert after_of(event)["name"] == "Cooperativa Textil Cotacachi"
    assert after_of(event)["size"] == "small"


def test_an_update_that_gives_a_size_to_a_cooperative_is_refused(places: Places) -> None:
    org = make_org(places)
    before = state()

    with pytest.raises(services.SizeForNonFirm):
        services.organization_update(actor=None, now=NOW, organization=org, size="large")

    assert state() == before


def test_an_organization_cannot_become_its_own_grandparent(places: Places) -> None:
    top = make_org(places, name="Federación")
    middle = make_org(places, name="Unión", parent_id=top.pk)
    before = state()

    with pytest.raises(services.ParentCycle) as info:
        services.organization_update(actor=None, now=NOW, organization=top, parent_id=middle.pk)

    assert info.value.field == "parent"
    assert state() == before


def test_an_organization_is_dissolved_once_and_not_before_its_founding(places: Places) -> None:
    org = make_org(places, founding_date=date(2010, 1, 1))
    before = state()

    with pytest.raises(services.DissolutionBeforeFounding) as info:
        services.organization_dissolve(
            actor=None, now=NOW, organization=org, dissolution_date=date(2009, 12, 31)
        )
    assert info.value.message == (
        "La disolución (2009-12-31) no puede ser anterior a la fundación (2010-01-01)."
    )
    assert state() == before

    services.organization_dissolve(
        actor=None, now=NOW, organization=org, dissolution_date=date(2020, 6, 30)
    )
    org.refresh_from_db()
    assert org.dissolution_date == date(2020, 6, 30)
    after_first = state()

    with pytest.raises(services.AlreadyDissolved) as again:
        services.organization_dissolve(
            actor=None, now=NOW, organization=org, dissolution_date=date(2021, 1, 1)
        )
    assert again.value.message == "La organización ya está disuelta desde el 2020-06-30."
    assert state() == after_first


def test_attaching_a_ruc_validates_it_and_makes_it_searchable(places: Places) -> None:
    org = make_org(places)

    services.organization_identifier_attach(
        actor=None, now=NOW, organization=org, scheme="EC-RUC", identifier=RUC_PUBLIC
    )

    org.refresh_from_db()
    assert org.search_text.endswith(RUC_PUBLIC)
    assert AuditEvent.objects.filter(action="organization.identifier_attach").count() == 1


def test_attaching_a_bad_ruc_is_refused_and_nothing_changes(places: Places) -> None:
    org = make_org(places)
    before = state()

    with pytest.raises(services.IdentifierRefused) as info:
        services.organization_identifier_attach(
            actor=None, now=NOW, organization=org, scheme="EC-RUC", identifier="1760001550000"
        )

    assert info.value.message == (
        "RUC (Ecuador) no válido: el número de establecimiento no puede ser 0000 "
        "(el primero es 0001)."
    )
    assert state() == before


def test_a_persons_private_data_is_stored_but_kept_out_of_the_audit_chain(places: Places) -> None:
    person = make_person(
        email="maria@example.org",
        birth_date=date(1980, 2, 3),
        gender="femenino",
        summary="Tejedora",
        area_id=places.apuela.pk,
        identifiers=[("EC-CEDULA", CEDULA)],
    )

    person.refresh_from_db()
    assert person.email == "maria@example.org"
    assert list(person.identifiers.values_list("scheme", "identifier")) == [("EC-CEDULA", CEDULA)]
    event = AuditEvent.objects.get(action="person.create")
    text = str(event.after)
    assert "maria@example.org" not in text
    assert "1980" not in text
    assert CEDULA not in text
    assert after_of(event)["private_fields_set"] == ["email", "birth_date", "gender"]
    assert after_of(event)["identifier_schemes"] == ["EC-CEDULA"]


def test_a_person_with_a_bad_cedula_is_refused_and_nothing_changes(places: Places) -> None:
    before = state()

    with pytest.raises(services.IdentifierRefused) as info:
        make_person(identifiers=[("EC-CEDULA", "1714307104")])

    assert info.value.field == "cedula"
    assert info.value.message == (
        "Cédula de identidad (Ecuador) no válido: el dígito verificador es 4, pero debería ser 3."
    )
    assert state() == before


def test_a_cedula_already_held_is_refused(places: Places) -> None:
    make_person(identifiers=[("EC-CEDULA", CEDULA)])
    before = state()

    with pytest.raises(services.IdentifierTaken):
        make_person(name="Otra", identifiers=[("EC-CEDULA", CEDULA)])

    assert state() == before


def test_updating_a_person_names_the_private_fields_changed_without_their_values(
    places: Places,
) -> None:
    person = make_person()

    services.person_update(
        actor=None, now=NOW, person=person, email="nuevo@example.org", biography="Dirigente"
    )

    person.refresh_from_db()
    assert (person.email, person.biography) == ("nuevo@example.org", "Dirigente")
    event = AuditEvent.objects.get(action="person.update")
    assert after_of(event)["private_fields_changed"] == ["email"]
    assert "nuevo@example.org" not in str(event.after)


def test_a_future_birth_date_is_refused(places: Places) -> None:
    person = make_person()
    before = state()

    with pytest.raises(services.DatesReversed) as info:
        services.person_update(actor=None, now=NOW, person=person, birth_date=date(2030, 1, 1))

    assert (info.value.field, info.value.message) == (
        "birth_date",
        "La fecha de nacimiento no puede ser futura.",
    )
    assert state() == before


def test_a_membership_with_a_post_takes_the_posts_role(places: Places) -> None:
    org = make_org(places)
    person = make_person()
    post = services.post_create(
        actor=None, now=NOW, organization=org, label="Presidencia", role="presidenta"
    )

    m = services.membership_create(
        actor=None, now=NOW, person=person, organization=org, post=post, start_date=date(2024, 1, 1)
    )

    assert (m.role, m.post_id, m.end_date) == ("presidenta", post.pk, None)
    assert AuditEvent.objects.filter(action="membership.create").count() == 1


def test_a_membership_with_reversed_dates_is_refused(places: Places) -> None:
    org = make_org(places)
    person = make_person()
    before = state()

    with pytest.raises(services.DatesReversed) as info:
        services.membership_create(
            actor=None,
            now=NOW,
            person=person,
            organization=org,
            start_date=date(2024, 5, 1),
            end_date=date(2024, 4, 30),
        )

    assert (info.value.field, info.value.message) == (
        "end_date",
        "La fecha final (2024-04-30) es anterior a la inicial (2024-05-01).",
    )
    assert state() == before


def test_a_membership_in_a_post_of_another_organization_is_refused(places: Places) -> None:
    org = make_org(places)
    other = make_org(places, name="Asociación Apuela", classification="associative")
    person = make_person()
    post = services.post_create(actor=None, now=NOW, organization=other, label="Tesorería")
    before = state()

    with pytest.raises(services.PostOfAnotherOrganization) as info:
        services.membership_create(actor=None, now=NOW, person=person, organization=org, post=post)

    assert info.value.message == "El cargo «Tesorería» es de otra organización."
    assert state() == before


def test_a_membership_ends_once_and_not_before_it_started(places: Places) -> None:
    org = make_org(places)
    person = make_person()
    m = services.membership_create(
        actor=None, now=NOW, person=person, organization=org, start_date=date(2024, 1, 1)
    )
    before = state()

    with pytest.raises(services.DatesReversed):
        services.membership_end(actor=None, now=NOW, membership=m, end_date=date(2023, 12, 31))
    assert state() == before

    services.membership_end(actor=None, now=NOW, membership=m, end_date=date(2025, 12, 31))
    m.refresh_from_db()
    assert m.end_date == date(2025, 12, 31)
    after = state()

    with pytest.raises(services.MembershipAlreadyEnded) as info:
        services.membership_end(actor=None, now=NOW, membership=m, end_date=date(2026, 1, 1))
    assert info.value.message == "La membresía ya terminó el 2025-12-31."
    assert state() == after


def test_a_post_with_reversed_dates_or_no_label_is_refused(places: Places) -> None:
    org = make_org(places)
    before = state()

    with pytest.raises(services.DatesReversed):
        services.post_create(
            actor=None,
            now=NOW,
            organization=org,
            label="Secretaría",
            start_date=date(2024, 2, 1),
            end_date=date(2024, 1, 1),
        )
    with pytest.raises(services.BlankName) as info:
        services.post_create(actor=None, now=NOW, organization=org, label=" ")

    assert info.value.field == "label"
    assert state() == before
