"""Reads of people, organisations, memberships and posts.

Privacy: a person's email, birth date, gender, contact details and identifiers are private.
Public reads return `PublicPerson` (a dataclass that has no field for them) instead of the
model, so that no template, API schema or export can reach them by accident."""

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from minga.accounts.selectors import (
    access_territory_as_official,
    roles_active,
    user_is_administrator,
)
from minga.core.roles import Role

from .models import (
    Classification,
    FirmSize,
    Membership,
    Organization,
    OrganizationIdentifier,
    Person,
    PersonIdentifier,
    Post,
)

DIRECTORY_PAGE_SIZE = 20
DIRECTORY_MAX_PAGE_SIZE = 100
# A query longer than this is cut: searching is a LIKE per word, so put a limit on it.
SEARCH_MAX_WORDS = 8


# --- territories ------------------------------------------------------------------------------
# Territories belong to another app: read through the app registry so that this module never
# imports minga.territories.models (import-linter contract). Every lookup of a territory goes
# through these functions, so switching them to minga.territories.selectors is one edit.


def _territory_model() -> Any:
    return apps.get_model("territories", "Territory")


def territory_by_id(*, territory_id: int) -> Any:
    return _territory_model().objects.filter(pk=territory_id).first()


def territory_by_code(*, code: str, country_code: str = "EC") -> Any:
    return _territory_model().objects.filter(country_code=country_code, code=code).first()


def territories_with_organizations() -> list[Any]:
    """The territories where some organisation is, and every territory above those: the
    choices of the directory's territory filter, in tree order."""
    paths = set(Organization.objects.order_by().values_list("area__path", flat=True).distinct())
    prefixes: set[str] = set()
    for p in paths:
        codes = [c for c in p.split("/") if c]
        for i in range(1, len(codes) + 1):
            prefixes.add("/" + "/".join(codes[:i]) + "/")
    if not prefixes:
        return []
    return list(
        _territory_model()
        .objects.filter(path__in=prefixes)
        .only("id", "name", "code", "path", "depth", "country_code")
        .order_by("path")
    )


def territories_for_registration(*, user: Any) -> list[Any]:
    """The territories where this user may register an organisation: anywhere for an
    administrator, under the territories of their official roles otherwise."""
    model = _territory_model()
    fields = ("id", "name", "code", "path", "depth", "country_code")
    if user_is_administrator(user):
        return list(model.objects.only(*fields).order_by("country_code", "path"))
    scopes = [
        (r.territory.country_code, r.territory.path)
        for r in roles_active(user=user).filter(role=Role.OFFICIAL).select_related("territory")
        if r.territory is not None
    ]
    if not scopes:
        return []
    condition = Q()
    for country, path in scopes:
        condition |= Q(country_code=country, path__startswith=path)
    return list(model.objects.filter(condition).only(*fields).order_by("country_code", "path"))


def access_organization_register(*, user: Any, territory: Any) -> bool:
    """An official registers organisations of their own territory (or under it); an
    administrator anywhere. The rule lives in minga.accounts.selectors."""
    return access_territory_as_official(user, territory)


# --- search -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, accents removed, anything but letters and digits as single spaces:
    "Asociación  Ñaupa-Kawsay" -> "asociacion naupa kawsay". The same on both databases."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(kept.split())


def organization_search_text(
    *, name: str, other_names: Iterable[Any], summary: str, identifiers: Iterable[str]
) -> str:
    """What the directory's search looks in. Called by the services on every write."""
    names = [str(n.get("name", "")) if isinstance(n, dict) else str(n) for n in other_names]
    return fold(" ".join([name, *names, summary, *identifiers]))


def _search_words(query: str) -> list[str]:
    return fold(query).split()[:SEARCH_MAX_WORDS]


# --- the directory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryEntry:
    id: int
    name: str
    classification: str
    classification_label: str
    size: str
    size_label: str
    summary: str
    area_id: int
    area_name: str
    dissolution_date: date | None


@dataclass(frozen=True)
class DirectoryPage:
    entries: list[DirectoryEntry]
    count: int
    number: int
    num_pages: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def organizations_filtered(
    *, territory: Any = None, classification: str = "", query: str = ""
) -> QuerySet[Organization]:
    qs = Organization.objects.all()
    if territory is not None:
        # Everything under the territory: one indexed prefix match on the territory path.
        qs = qs.filter(
            area__country_code=territory.country_code, area__path__startswith=territory.path
        )
    if classification:
        qs = qs.filter(classification=classification)
    for word in _search_words(query):
        qs = qs.filter(search_text__contains=word)
    return qs.order_by("name", "id")


def organization_directory(
    *,
    territory: Any = None,
    classification: str = "",
    query: str = "",
    page: int = 1,
    per_page: int = DIRECTORY_PAGE_SIZE,
) -> DirectoryPage:
    """One page of the public directory, ordered by name. A page number past the end gives the
    last page; the caller validates its inputs (classification among the choices)."""
    assert 1 <= per_page <= DIRECTORY_MAX_PAGE_SIZE
    assert classification == "" or classification in Classification.values
    qs = organizations_filtered(territory=territory, classification=classification, query=query)
    paginator = Paginator(
        qs.select_related("area").only(
            "id",
            "name",
            "classification",
            "size",
            "summary",
            "dissolution_date",
            "area__id",
            "area__name",
        ),
        per_page,
    )
    current = paginator.get_page(page)
    labels = dict(Classification.choices)
    sizes = dict(FirmSize.choices)
    entries = [
        DirectoryEntry(
            id=o.pk,
            name=o.name,
            classification=o.classification,
            classification_label=str(labels[o.classification]),
            size=o.size,
            size_label=str(sizes.get(o.size, "")),
            summary=o.summary,
            area_id=o.area.pk,
            area_name=o.area.name,
            dissolution_date=o.dissolution_date,
        )
        for o in current.object_list
    ]
    return DirectoryPage(
        entries=entries,
        count=paginator.count,
        number=current.number,
        num_pages=paginator.num_pages,
        per_page=per_page,
    )


def directory_version() -> str:
    """Changes whenever anything the directory shows may have changed: an organisation created,
    changed or dissolved (each of those sets updated_at), or a territory renamed. Two cheap
    aggregate queries; the views key their cache of rendered results on it, so a cached page
    is never stale, whichever process served the write."""
    orgs = Organization.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    places = _territory_model().objects.aggregate(at=Max("updated_at"))
    return f"{orgs['n']}-{orgs['at']}-{places['at']}"


# --- organisations ----------------------------------------------------------------------------


def organization_by_id(*, organization_id: int) -> Organization | None:
    return Organization.objects.filter(pk=organization_id).first()


def organization_by_identifier(*, scheme: str, identifier: str) -> Organization | None:
    found = (
        OrganizationIdentifier.objects.filter(scheme=scheme, identifier=identifier)
        .select_related("organization")
        .first()
    )
    return found.organization if found is not None else None


def organization_identifier_taken(*, scheme: str, identifier: str) -> bool:
    return OrganizationIdentifier.objects.filter(scheme=scheme, identifier=identifier).exists()


def person_identifier_taken(*, scheme: str, identifier: str) -> bool:
    return PersonIdentifier.objects.filter(scheme=scheme, identifier=identifier).exists()


def organization_is_ancestor(*, candidate: Organization, of: Organization) -> bool:
    """Whether `candidate` is `of` itself or one of its parents (a parent cycle). Bounded: the
    parent chain of a real organisation is short, and a chain longer than 100 is a bug."""
    current: Organization | None = of
    for _ in range(100):
        if current is None:
            return False
        if current.pk == candidate.pk:
            return True
        current = current.parent
    raise AssertionError(f"organisation {of.pk}'s parent chain is longer than 100")


@dataclass(frozen=True)
class PublicMembership:
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


def _public_membership(m: Membership) -> PublicMembership:
    return PublicMembership(
        id=m.pk,
        person_id=m.person_id,
        person_name=m.person.name,
        organization_id=m.organization_id,
        organization_name=m.organization.name,
        role=m.role,
        post_id=m.post_id,
        post_label=m.post.label if m.post is not None else "",
        on_behalf_of_id=m.on_behalf_of_id,
        on_behalf_of_name=m.on_behalf_of.name if m.on_behalf_of is not None else "",
        start_date=m.start_date,
        end_date=m.end_date,
    )


def _memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("person", "organization", "post", "on_behalf_of").only(
        "id",
        "role",
        "start_date",
        "end_date",
        "person__id",
        "person__name",
        "organization__id",
        "organization__name",
        "post__id",
        "post__label",
        "on_behalf_of__id",
        "on_behalf_of__name",
    )


@dataclass(frozen=True)
class OrganizationDetail:
    organization: Organization
    identifiers: list[OrganizationIdentifier]
    memberships: list[PublicMembership]
    posts: list[Post]
    children: list[Organization]
    area_trail: list[Any]  # the territory and those above it, from the top


def organization_detail(*, organization_id: int) -> OrganizationDetail | None:
    organization = (
        Organization.objects.select_related("area", "parent")
        .prefetch_related(
            Prefetch("identifiers", queryset=OrganizationIdentifier.objects.order_by("scheme")),
            Prefetch("posts", queryset=Post.objects.select_related("area").order_by("label")),
            Prefetch("children", queryset=Organization.objects.only("id", "name", "parent_id")),
        )
        .filter(pk=organization_id)
        .first()
    )
    if organization is None:
        return None
    memberships = [
        _public_membership(m)
        for m in _memberships()
        .filter(organization=organization)
        .order_by("end_date", "person__name", "id")
    ]
    codes = [c for c in organization.area.path.split("/") if c]
    prefixes = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    trail = list(
        _territory_model()
        .objects.filter(country_code=organization.area.country_code, path__in=prefixes)
        .only("id", "name", "code", "path")
        .order_by("depth")
    )
    return OrganizationDetail(
        organization=organization,
        identifiers=list(organization.identifiers.all()),
        memberships=memberships,
        posts=list(organization.posts.all()),
        children=list(organization.children.all()),
        area_trail=trail,
    )


# --- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPerson:
    """The public face of a person: name, summary, biography, area, memberships. Nothing else."""

    id: int
    name: str
    given_name: str
    family_name: str
    other_names: list[Any]
    summary: str
    biography: str
    area_id: int | None
    area_name: str
    memberships: list[PublicMembership]


PUBLIC_PERSON_FIELDS = (
    "id",
    "name",
    "given_name",
    "family_name",
    "other_names",
    "summary",
    "biography",
    "area",
)


def person_by_id(*, person_id: int) -> Person | None:
    return Person.objects.filter(pk=person_id).first()


def person_by_identifier(*, scheme: str, identifier: str) -> Person | None:
    return Person.objects.filter(
        identifiers__scheme=scheme, identifiers__identifier=identifier
    ).first()


def post_by_label(*, organization: Organization, label: str) -> Post | None:
    return Post.objects.filter(organization=organization, label=label).first()


def membership_exists(*, person: Person, organization: Organization, role: str) -> bool:
    return Membership.objects.filter(person=person, organization=organization, role=role).exists()


def person_public(*, person_id: int) -> PublicPerson | None:
    person = (
        Person.objects.select_related("area")
        .only(*PUBLIC_PERSON_FIELDS[:-1], "area__id", "area__name")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        return None
    memberships = [
        _public_membership(m)
        for m in _memberships().filter(person=person).order_by("end_date", "organization__name")
    ]
    return PublicPerson(
        id=person.pk,
        name=person.name,
        given_name=person.given_name,
        family_name=person.family_name,
        other_names=list(person.other_names),
        summary=person.summary,
        biography=person.biography,
        area_id=person.area_id,
        area_name=person.area.name if person.area is not None else "",
        memberships=memberships,
    )


def memberships_public(
    *, organization_id: int | None = None, person_id: int | None = None, limit: int = 500
) -> list[PublicMembership]:
    qs = _memberships()
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return [_public_membership(m) for m in qs.order_by("id")[:limit]]


def membership_by_id(*, membership_id: int) -> Membership | None:
    return Membership.objects.filter(pk=membership_id).first()


def post_by_id(*, post_id: int) -> Post | None:
    return Post.objects.filter(pk=post_id).first()


# --- Popolo export and open data --------------------------------------------------------------
# Popolo (https://www.popoloproject.com/specs/): ids are strings; dates are ISO 8601.


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def popolo_persons() -> Iterator[dict[str, Any]]:
    """Public fields only: never email, birth date, gender, contact details or identifiers."""
    for p in (
        Person.objects.select_related("area")
        .only(*PUBLIC_PERSON_FIELDS[:-1], "area__id", "area__code")
        .order_by("id")
        .iterator(chunk_size=2000)
    ):
        yield {
            "id": f"person/{p.pk}",
            "name": p.name,
            "given_name": p.given_name or None,
            "family_name": p.family_name or None,
            "other_names": list(p.other_names),
            "summary": p.summary or None,
            "biography": p.biography or None,
            "area_id": f"territory/{p.area.code}" if p.area is not None else None,
        }


def popolo_organizations() -> Iterator[dict[str, Any]]:
    identifiers: dict[int, list[dict[str, str]]] = {}
    for org_id, scheme, identifier in OrganizationIdentifier.objects.order_by(
        "organization_id", "scheme"
    ).values_list("organization_id", "scheme", "identifier"):
        identifiers.setdefault(org_id, []).append({"scheme": scheme, "identifier": identifier})
    for o in Organization.objects.select_related("area").order_by("id").iterator(chunk_size=2000):
        yield {
            "id": f"organization/{o.pk}",
            "name": o.name,
            "other_names": list(o.other_names),
            "identifiers": identifiers.get(o.pk, []),
            "classification": o.classification,
            "size": o.size or None,
            "parent_id": f"organization/{o.parent_id}" if o.parent_id else None,
            "area_id": f"territory/{o.area.code}",
            "founding_date": _iso(o.founding_date),
            "dissolution_date": _iso(o.dissolution_date),
            "summary": o.summary or None,
            "description": o.description or None,
            # An organisation's contact details are public: they are how the public reaches it.
            "contact_details": list(o.contact_details),
            "links": list(o.links),
        }


def popolo_memberships() -> Iterator[dict[str, Any]]:
    for m in Membership.objects.order_by("id").iterator(chunk_size=2000):
        yield {
            "id": f"membership/{m.pk}",
            "person_id": f"person/{m.person_id}",
            "organization_id": f"organization/{m.organization_id}",
            "role": m.role or None,
            "post_id": f"post/{m.post_id}" if m.post_id else None,
            "on_behalf_of_id": f"organization/{m.on_behalf_of_id}" if m.on_behalf_of_id else None,
            "start_date": _iso(m.start_date),
            "end_date": _iso(m.end_date),
        }


def popolo_posts() -> Iterator[dict[str, Any]]:
    for p in Post.objects.select_related("area").order_by("id").iterator(chunk_size=2000):
        yield {
            "id": f"post/{p.pk}",
            "label": p.label,
            "role": p.role or None,
            "organization_id": f"organization/{p.organization_id}",
            "area_id": f"territory/{p.area.code}" if p.area is not None else None,
            "start_date": _iso(p.start_date),
            "end_date": _iso(p.end_date),
        }


def popolo_document() -> dict[str, list[dict[str, Any]]]:
    return {
        "persons": list(popolo_persons()),
        "organizations": list(popolo_organizations()),
        "memberships": list(popolo_memberships()),
        "posts": list(popolo_posts()),
    }


POPOLO_ROW_COLUMNS = ("type", "id", "name", "data")


def popolo_rows() -> Iterator[dict[str, Any]]:
    """The Popolo export as rows for the open-data registry: one row per object, its type,
    id, display name and the whole Popolo object as `data`."""
    for kind, objects in (
        ("person", popolo_persons()),
        ("organization", popolo_organizations()),
        ("membership", popolo_memberships()),
        ("post", popolo_posts()),
    ):
        for obj in objects:
            yield {
                "type": kind,
                "id": obj["id"],
                "name": obj.get("name") or obj.get("label") or obj.get("role") or "",
                "data": obj,
            }


ORGANIZATION_CSV_COLUMNS = (
    "id",
    "name",
    "classification",
    "size",
    "territory_code",
    "territory_name",
    "ruc",
    "parent_id",
    "founding_date",
    "dissolution_date",
    "summary",
)


def organization_rows() -> Iterator[dict[str, Any]]:
    rucs = dict(
        OrganizationIdentifier.objects.filter(scheme="EC-RUC").values_list(
            "organization_id", "identifier"
        )
    )
    for o in (
        Organization.objects.select_related("area")
        .only(
            "id",
            "name",
            "classification",
            "size",
            "parent_id",
            "founding_date",
            "dissolution_date",
            "summary",
            "area__code",
            "area__name",
        )
        .order_by("id")
        .iterator(chunk_size=2000)
    ):
        yield {
            "id": o.pk,
            "name": o.name,
            "classification": o.classification,
            "size": o.size,
            "territory_code": o.area.code,
            "territory_name": o.area.name,
            "ruc": rucs.get(o.pk, ""),
            "parent_id": o.parent_id,
            "founding_date": _iso(o.founding_date),
            "dissolution_date": _iso(o.dissolution_date),
            "summary": o.summary,
        }


def actors_updated_at() -> datetime | None:
    at: datetime | None = Organization.objects.aggregate(at=Max("updated_at"))["at"]
    return at


def people_and_organizations_updated_at() -> datetime | None:
    times = [
        Organization.objects.aggregate(at=Max("updated_at"))["at"],
        Person.objects.aggregate(at=Max("updated_at"))["at"],
    ]
    present = [t for t in times if t is not None]
    return max(present) if present else None


def classifications() -> Sequence[tuple[str, str]]:
    return [(value, str(label)) for value, label in Classification.choices]
