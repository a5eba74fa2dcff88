"""The actors API at /api/v1/actors/: the public directory, organisation and person pages
(public fields only) and memberships. Reads need no token."""

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from minga.apierrors import FieldError

from . import selectors
from .models import Classification

router = Router(tags=["actors"])


class ErrorOut(Schema):
    message: str
    field: str


class DirectoryEntryOut(Schema):
    id: int
    name: str
    classification: str
    size: str
    summary: str
    area_id: int
    area_name: str
    dissolution_date: date | None


class DirectoryOut(Schema):
    count: int
    page: int
    num_pages: int
    per_page: int
    results: list[DirectoryEntryOut]


class DirectoryQuery(Schema):
    q: str = Field(
        "",
        max_length=200,
        description="Palabras buscadas en nombre, otros nombres, resumen e identificadores",
    )
    territory: str = Field(
        "",
        max_length=20,
        description="Código oficial del territorio (incluye todo lo que está debajo)",
    )
    country: str = Field("EC", min_length=2, max_length=2)
    classification: str = Field("", max_length=32)
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(selectors.DIRECTORY_PAGE_SIZE, ge=1, le=selectors.DIRECTORY_MAX_PAGE_SIZE)


class IdentifierOut(Schema):
    scheme: str
    identifier: str


class MembershipOut(Schema):
    id: int
    person_id: int
    person_name: str
    organization_id: int
    organization_name: str
    role: str
    post_id: int | None
    post_label: str
    on_behalf_of_id: int | None
    on_behalf_of_name: str
    start_date: date | None
    end_date: date | None


class PostOut(Schema):
    id: int
    label: str
    role: str
    start_date: date | None
    end_date: date | None


class OrganizationOut(Schema):
    id: int
    name: str
    other_names: list[object]
    classification: str
    size: str
    parent_id: int | None
    area_id: int
    area_code: str
    area_name: str
    founding_date: date | None
    dissolution_date: date | None
    summary: str
    description: str
    contact_details: list[object]
    links: list[object]
    identifiers: list[IdentifierOut]
    posts: list[PostOut]
    memberships: list[MembershipOut]


class PersonOut(Schema):
    """A person's public fields. Email, birth date, gender, contact details and identifiers are
    private and never leave through the API."""

    id: int
    name: str
    given_name: str
    family_name: str
    other_names: list[object]
    summary: str
    biography: str
    area_id: int | None
    area_name: str
    memberships: list[MembershipOut]


@router.get(
    "/organizations",
    response={200: DirectoryOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Directorio de organizaciones",
)
def organizations_list(request: HttpRequest, filters: Query[DirectoryQuery]) -> DirectoryOut:
    if filters.classification and filters.classification not in Classification.values:
        raise FieldError(
            400,
            f"unknown classification {filters.classification!r}; one of "
            + ", ".join(Classification.values),
            "classification",
        )
    territory = None
    if filters.territory:
        territory = selectors.territory_by_code(
            code=filters.territory, country_code=filters.country.upper()
        )
        if territory is None:
            raise FieldError(404, f"no territory with code {filters.territory!r}", "territory")
    page = selectors.organization_directory(
        territory=territory,
        classification=filters.classification,
        query=filters.q,
        page=filters.page,
        per_page=filters.per_page,
    )
    return DirectoryOut(
        count=page.count,
        page=page.number,
        num_pages=page.num_pages,
        per_page=page.per_page,
        results=[
            DirectoryEntryOut(
                id=e.id,
                name=e.name,
                classification=e.classification,
                size=e.size,
                summary=e.summary,
                area_id=e.area_id,
                area_name=e.area_name,
                dissolution_date=e.dissolution_date,
            )
            for e in page.entries
        ],
    )


def _membership_out(m: selectors.PublicMembership) -> MembershipOut:
    return MembershipOut(**m.__dict__)


@router.get(
    "/organizations/{organization_id}",
    response={200: OrganizationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Una organización, con sus cargos y miembros",
)
def organization_get(request: HttpRequest, organization_id: int) -> OrganizationOut:
    detail = selectors.organization_detail(organization_id=organization_id)
    if detail is None:
        raise FieldError(404, f"no organization with id {organization_id}", "organization_id")
    o = detail.organization
    return OrganizationOut(
        id=o.pk,
        name=o.name,
        other_names=list(o.other_names),
        classification=o.classification,
        size=o.size,
        parent_id=o.parent_id,
        area_id=o.area.pk,
        area_code=o.area.code,
        area_name=o.area.name,
        founding_date=o.founding_date,
        dissolution_date=o.dissolution_date,
        summary=o.summary,
        description=o.description,
        contact_details=list(o.contact_details),
        links=list(o.links),
        identifiers=[
            IdentifierOut(scheme=i.scheme, identifier=i.identifier) for i in detail.identifiers
        ],
        posts=[
            PostOut(
                id=p.pk, label=p.label, role=p.role, start_date=p.start_date, end_date=p.end_date
            )
            for p in detail.posts
        ],
        memberships=[_membership_out(m) for m in detail.memberships],
    )


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, 404: ErrorOut, 422: ErrorOut},
    summary="Una persona (solo datos públicos)",
)
def person_get(request: HttpRequest, person_id: int) -> PersonOut:
    person = selectors.person_public(person_id=person_id)
    if person is None:
        raise FieldError(404, f"no person with id {person_id}", "person_id")
    return PersonOut(
        id=person.id,
        name=person.name,
        given_name=person.given_name,
        family_name=person.family_name,
        other_names=person.other_names,
        summary=person.summary,
        biography=person.biography,
        area_id=person.area_id,
        area_name=person.area_name,
        memberships=[_membership_out(m) for m in person.memberships],
    )


class MembershipQuery(Schema):
    organization: int | None = Field(None, ge=1, le=2**62)
    person: int | None = Field(None, ge=1, le=2**62)
    limit: int = Field(100, ge=1, le=500)


@router.get(
    "/memberships",
    response={200: list[MembershipOut], 400: ErrorOut, 422: ErrorOut},
    summary="Membresías, de una organización o de una persona",
)
def memberships_list(request: HttpRequest, filters: Query[MembershipQuery]) -> list[MembershipOut]:
    if filters.organization is None and filters.person is None:
        raise FieldError(400, "give organization or person (or both)", "organization")
    return [
        _membership_out(m)
        for m in selectors.memberships_public(
            organization_id=filters.organization, person_id=filters.person, limit=filters.limit
        )
    ]


__all__ = ["HttpError", "router"]
