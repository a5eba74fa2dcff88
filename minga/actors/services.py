"""Writes of people, organisations, memberships and posts: one transaction and one audit event
each. Refusals raise an `ActorsError` subclass naming the field at fault; nothing is written.

Audit payloads carry an organisation's fields, but only a person's PUBLIC fields: the audit
chain is exportable, and a person's email, birth date, gender, contact details and identifiers
are private (the event lists which private fields changed, never their values)."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Final

from django.db import transaction
from django.utils.translation import gettext as _

from minga.core import identifiers as idents
from minga.core.services import audit_record

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
from .selectors import (
    organization_identifier_taken,
    organization_is_ancestor,
    organization_search_text,
    person_identifier_taken,
    territory_by_id,
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class ActorsError(Exception):
    """A refused write. `field` names the input at fault, for forms and the API."""

    field = ""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field or self.field


class BlankName(ActorsError):
    field = "name"


class UnknownClassification(ActorsError):
    field = "classification"


class SizeForNonFirm(ActorsError):
    field = "size"


class SizeMissing(ActorsError):
    field = "size"


class UnknownTerritory(ActorsError):
    field = "area"


class UnknownParent(ActorsError):
    field = "parent"


class ParentCycle(ActorsError):
    field = "parent"


class DissolutionBeforeFounding(ActorsError):
    field = "dissolution_date"


class AlreadyDissolved(ActorsError):
    field = "dissolution_date"


class IdentifierRefused(ActorsError):
    """A bad identifier (check digit, length...) or a scheme that does not apply."""


class IdentifierTaken(ActorsError):
    pass


class DatesReversed(ActorsError):
    field = "end_date"


class PostOfAnotherOrganization(ActorsError):
    field = "post"


class MembershipAlreadyEnded(ActorsError):
    field = "end_date"


# --- helpers ----------------------------------------------------------------------------------


def _name(value: str, field: str = "name") -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise BlankName(_("El nombre no puede estar vacío."), field)
    return cleaned


def _territory(area_id: int | None, *, required: bool) -> Any:
    if area_id is None:
        if required:
            raise UnknownTerritory(_("Indique el territorio de la organización."))
        return None
    territory = territory_by_id(territory_id=area_id)
    if territory is None:
        raise UnknownTerritory(_("El territorio %(id)s no existe.") % {"id": area_id})
    return territory


def _classification_and_size(classification: str, size: str) -> None:
    if classification not in Classification.values:
        raise UnknownClassification(
            _("La clasificación «%(value)s» no existe.") % {"value": classification}
        )
    if size and size not in FirmSize.values:
        raise SizeForNonFirm(_("El tamaño «%(value)s» no existe.") % {"value": size})
    if classification == Classification.PRIVATE_FIRM and not size:
        raise SizeMissing(_("Indique el tamaño de la empresa privada."))
    if classification != Classification.PRIVATE_FIRM and size:
        raise SizeForNonFirm(_("Solo una empresa privada tiene tamaño (micro, pequeña...)."))


def _dates(start: date | None, end: date | None, *, error: type[ActorsError]) -> None:
    if start is not None and end is not None and end < start:
        raise error(
            _("La fecha final (%(end)s) es anterior a la inicial (%(start)s).")
            % {"end": end.isoformat(), "start": start.isoformat()}
        )


def _validated_identifiers(
    pairs: Iterable[tuple[str, str]], *, subject: str, field_prefix: str = "identifiers"
) -> list[tuple[str, str]]:
    """Validates each (scheme, value) with minga.core.identifiers; the field named in an error
    is the scheme's own field ("ruc", "cedula") so that a form can show it beside its input."""
    out: list[tuple[str, str]] = []
    for scheme_code, value in pairs:
        try:
            scheme = idents.scheme(scheme_code)
        except idents.UnknownScheme:
            raise IdentifierRefused(
                _("El tipo de identificador «%(scheme)s» no existe.") % {"scheme": scheme_code},
                f"{field_prefix}.scheme",
            ) from None
        if subject not in scheme.subjects:
            raise IdentifierRefused(
                _("El tipo de identificador %(scheme)s no se aplica aquí.")
                % {"scheme": scheme.code},
                f"{field_prefix}.scheme",
            )
        try:
            normalised = scheme.validate(value)
        except idents.InvalidIdentifier as e:
            raise IdentifierRefused(
                _("%(scheme)s no válido: %(reason)s") % {"scheme": scheme.name, "reason": e.reason},
                e.field,
            ) from None
        if any(s == scheme.code and v == normalised for s, v in out):
            raise IdentifierTaken(
                _("El identificador %(value)s está repetido.") % {"value": normalised}, scheme.field
            )
        out.append((scheme.code, normalised))
    return out


def _organization_audit(o: Organization, identifiers: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "name": o.name,
        "other_names": o.other_names,
        "classification": o.classification,
        "size": o.size,
        "parent_id": o.parent_id,
        "area_id": o.area_id,
        "founding_date": o.founding_date,
        "dissolution_date": o.dissolution_date,
        "summary": o.summary,
        "description": o.description,
        "contact_details": o.contact_details,
        "links": o.links,
        "identifiers": [{"scheme": s, "identifier": v} for s, v in identifiers],
    }


def _organization_identifiers(o: Organization) -> list[tuple[str, str]]:
    return list(o.identifiers.order_by("scheme", "identifier").values_list("scheme", "identifier"))


def _refresh_search_text(o: Organization) -> None:
    o.search_text = organization_search_text(
        name=o.name,
        other_names=o.other_names,
        summary=o.summary,
        identifiers=[v for _s, v in _organization_identifiers(o)],
    )
    o.save(update_fields=["search_text"])


PERSON_PRIVATE_FIELDS = ("email", "birth_date", "gender", "contact_details")


def _person_audit(p: Person) -> dict[str, Any]:
    return {
        "name": p.name,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "other_names": p.other_names,
        "summary": p.summary,
        "biography": p.biography,
        "area_id": p.area_id,
    }


def _membership_audit(m: Membership) -> dict[str, Any]:
    return {
        "person_id": m.person_id,
        "organization_id": m.organization_id,
        "role": m.role,
        "post_id": m.post_id,
        "on_behalf_of_id": m.on_behalf_of_id,
        "start_date": m.start_date,
        "end_date": m.end_date,
    }


# --- organisations ----------------------------------------------------------------------------


@transaction.atomic
def organization_create(
    *,
    actor: Any,
    now: datetime,
    name: str,
    classification: str,
    area_id: int,
    size: str = "",
    other_names: Sequence[Any] = (),
    parent_id: int | None = None,
    founding_date: date | None = None,
    summary: str = "",
    description: str = "",
    contact_details: Sequence[dict[str, Any]] = (),
    links: Sequence[dict[str, Any]] = (),
    identifiers: Sequence[tuple[str, str]] = (),
) -> Organization:
    name = _name(name)
    _classification_and_size(classification, size)
    area = _territory(area_id, required=True)
    parent = None
    if parent_id is not None:
        parent = Organization.objects.filter(pk=parent_id).first()
        if parent is None:
            raise UnknownParent(_("La organización madre %(id)s no existe.") % {"id": parent_id})
    checked = _validated_identifiers(identifiers, subject="organization")
    for scheme_code, value in checked:
        if organization_identifier_taken(scheme=scheme_code, identifier=value):
            raise IdentifierTaken(
                _("Ya hay una organización con el identificador %(value)s.") % {"value": value},
                idents.scheme(scheme_code).field,
            )
    org = Organization.objects.create(
        name=name,
        other_names=list(other_names),
        classification=classification,
        size=size,
        area=area,
        parent=parent,
        founding_date=founding_date,
        summary=summary.strip(),
        description=description.strip(),
        contact_details=list(contact_details),
        links=list(links),
        created_at=now,
        updated_at=now,
    )
    OrganizationIdentifier.objects.bulk_create(
        OrganizationIdentifier(organization=org, scheme=s, identifier=v) for s, v in checked
    )
    _refresh_search_text(org)
    audit_record(
        actor=actor,
        action="organization.create",
        object_type="actors.organization",
        object_id=org.pk,
        after=_organization_audit(org, checked),
        now=now,
    )
    return org


@transaction.atomic
def organization_update(
    *,
    actor: Any,
    now: datetime,
    organization: Organization,
    name: str | _Unset = UNSET,
    classification: str | _Unset = UNSET,
    size: str | _Unset = UNSET,
    area_id: int | _Unset = UNSET,
    other_names: Sequence[Any] | _Unset = UNSET,
    parent_id: int | _Unset | None = UNSET,
    founding_date: date | _Unset | None = UNSET,
    summary: str | _Unset = UNSET,
    description: str | _Unset = UNSET,
    contact_details: Sequence[dict[str, Any]] | _Unset = UNSET,
    links: Sequence[dict[str, Any]] | _Unset = UNSET,
) -> Organization:
    """Changes the given fields (UNSET leaves one as it is). Dissolution has its own service."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = _organization_audit(org, _organization_identifiers(org))
    changed: list[str] = []
    if not isinstance(name, _Unset):
        org.name = _name(name)
        changed.append("name")
    new_class = org.classification if isinstance(classification, _Unset) else classification
    new_size = org.size if isinstance(size, _Unset) else size
    _classification_and_size(new_class, new_size)
    org.classification, org.size = new_class, new_size
    changed += ["classification", "size"]
    if not isinstance(area_id, _Unset):
        org.area = _territory(area_id, required=True)
        changed.append("area")
    if not isinstance(parent_id, _Unset):
        parent = None
        if parent_id is not None:
            parent = Organization.objects.filter(pk=parent_id).first()
            if parent is None:
                raise UnknownParent(
                    _("La organización madre %(id)s no existe.") % {"id": parent_id}
                )
            if organization_is_ancestor(candidate=org, of=parent):
                raise ParentCycle(
                    _("Una organización no puede depender de sí misma ni de sus dependientes.")
                )
        org.parent = parent
        changed.append("parent")
    if not isinstance(founding_date, _Unset):
        org.founding_date = founding_date
        changed.append("founding_date")
        if (
            founding_date is not None
            and org.dissolution_date is not None
            and org.dissolution_date < founding_date
        ):
            raise DissolutionBeforeFounding(
                _("La fecha de fundación no puede ser posterior a la de disolución."),
                "founding_date",
            )
    for field, value in (
        ("other_names", other_names),
        ("contact_details", contact_details),
        ("links", links),
    ):
        if not isinstance(value, _Unset):
            setattr(org, field, list(value))
            changed.append(field)
    for field, text in (("summary", summary), ("description", description)):
        if not isinstance(text, _Unset):
            setattr(org, field, text.strip())
            changed.append(field)
    org.updated_at = now
    org.save(update_fields=[*changed, "updated_at"])
    _refresh_search_text(org)
    audit_record(
        actor=actor,
        action="organization.update",
        object_type="actors.organization",
        object_id=org.pk,
        before=before,
        after=_organization_audit(org, _organization_identifiers(org)),
        now=now,
    )
    return org


@transaction.atomic
def organization_dissolve(
    *, actor: Any, now: datetime, organization: Organization, dissolution_date: date
) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.dissolution_date is not None:
        raise AlreadyDissolved(
            _("La organización ya está disuelta desde el %(date)s.")
            % {"date": org.dissolution_date.isoformat()}
        )
    if org.founding_date is not None and dissolution_date < org.founding_date:
        raise DissolutionBeforeFounding(
            _("La disolución (%(end)s) no puede ser anterior a la fundación (%(start)s).")
            % {"end": dissolution_date.isoformat(), "start": org.founding_date.isoformat()}
        )
    before = {"dissolution_date": None}
    org.dissolution_date = dissolution_date
    org.updated_at = now
    org.save(update_fields=["dissolution_date", "updated_at"])
    audit_record(
        actor=actor,
        action="organization.dissolve",
        object_type="actors.organization",
        object_id=org.pk,
        before=before,
        after={"dissolution_date": dissolution_date},
        now=now,
    )
    return org


@transaction.atomic
def organization_identifier_attach(
    *, actor: Any, now: datetime, organization: Organization, scheme: str, identifier: str
) -> OrganizationIdentifier:
    [(scheme_code, value)] = _validated_identifiers([(scheme, identifier)], subject="organization")
    if organization_identifier_taken(scheme=scheme_code, identifier=value):
        raise IdentifierTaken(
            _("Ya hay una organización con el identificador %(value)s.") % {"value": value},
            idents.scheme(scheme_code).field,
        )
    attached = OrganizationIdentifier.objects.create(
        organization=organization, scheme=scheme_code, identifier=value
    )
    organization.updated_at = now
    organization.save(update_fields=["updated_at"])
    _refresh_search_text(organization)
    audit_record(
        actor=actor,
        action="organization.identifier_attach",
        object_type="actors.organization",
        object_id=organization.pk,
        after={"scheme": scheme_code, "identifier": value},
        now=now,
    )
    return attached


# --- people -----------------------------------------------------------------------------------


@transaction.atomic
def person_create(
    *,
    actor: Any,
    now: datetime,
    name: str,
    given_name: str = "",
    family_name: str = "",
    other_names: Sequence[Any] = (),
    email: str = "",
    birth_date: date | None = None,
    gender: str = "",
    contact_details: Sequence[dict[str, Any]] = (),
    summary: str = "",
    biography: str = "",
    area_id: int | None = None,
    identifiers: Sequence[tuple[str, str]] = (),
) -> Person:
    name = _name(name)
    area = _territory(area_id, required=False)
    if birth_date is not None and birth_date > now.date():
        raise DatesReversed(_("La fecha de nacimiento no puede ser futura."), "birth_date")
    checked = _validated_identifiers(identifiers, subject="person")
    for scheme_code, value in checked:
        if person_identifier_taken(scheme=scheme_code, identifier=value):
            raise IdentifierTaken(
                _("Ya hay una persona con ese identificador."), idents.scheme(scheme_code).field
            )
    person = Person.objects.create(
        name=name,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        other_names=list(other_names),
        email=email.strip(),
        birth_date=birth_date,
        gender=gender.strip(),
        contact_details=list(contact_details),
        summary=summary.strip(),
        biography=biography.strip(),
        area=area,
        created_at=now,
        updated_at=now,
    )
    PersonIdentifier.objects.bulk_create(
        PersonIdentifier(person=person, scheme=s, identifier=v) for s, v in checked
    )
    audit_record(
        actor=actor,
        action="person.create",
        object_type="actors.person",
        object_id=person.pk,
        after={
            **_person_audit(person),
            "private_fields_set": [f for f in PERSON_PRIVATE_FIELDS if getattr(person, f)],
            "identifier_schemes": [s for s, _v in checked],
        },
        now=now,
    )
    return person


@transaction.atomic
def person_update(
    *,
    actor: Any,
    now: datetime,
    person: Person,
    name: str | _Unset = UNSET,
    given_name: str | _Unset = UNSET,
    family_name: str | _Unset = UNSET,
    other_names: Sequence[Any] | _Unset = UNSET,
    email: str | _Unset = UNSET,
    birth_date: date | _Unset | None = UNSET,
    gender: str | _Unset = UNSET,
    contact_details: Sequence[dict[str, Any]] | _Unset = UNSET,
    summary: str | _Unset = UNSET,
    biography: str | _Unset = UNSET,
    area_id: int | _Unset | None = UNSET,
) -> Person:
    p = Person.objects.select_for_update().get(pk=person.pk)
    before = _person_audit(p)
    changed: list[str] = []
    if not isinstance(name, _Unset):
        p.name = _name(name)
        changed.append("name")
    if not isinstance(area_id, _Unset):
        p.area = _territory(area_id, required=False)
        changed.append("area")
    if not isinstance(birth_date, _Unset):
        if birth_date is not None and birth_date > now.date():
            raise DatesReversed(_("La fecha de nacimiento no puede ser futura."), "birth_date")
        p.birth_date = birth_date
        changed.append("birth_date")
    for field, text in (
        ("given_name", given_name),
        ("family_name", family_name),
        ("email", email),
        ("gender", gender),
        ("summary", summary),
        ("biography", biography),
    ):
        if not isinstance(text, _Unset):
            setattr(p, field, text.strip())
            changed.append(field)
    for field, items in (("other_names", other_names), ("contact_details", contact_details)):
        if not isinstance(items, _Unset):
            setattr(p, field, list(items))
            changed.append(field)
    p.updated_at = now
    p.save(update_fields=[*changed, "updated_at"])
    audit_record(
        actor=actor,
        action="person.update",
        object_type="actors.person",
        object_id=p.pk,
        before=before,
        after={
            **_person_audit(p),
            "private_fields_changed": [f for f in PERSON_PRIVATE_FIELDS if f in changed],
        },
        now=now,
    )
    return p


@transaction.atomic
def person_identifier_attach(
    *, actor: Any, now: datetime, person: Person, scheme: str, identifier: str
) -> PersonIdentifier:
    [(scheme_code, value)] = _validated_identifiers([(scheme, identifier)], subject="person")
    if person_identifier_taken(scheme=scheme_code, identifier=value):
        raise IdentifierTaken(
            _("Ya hay una persona con ese identificador."), idents.scheme(scheme_code).field
        )
    attached = PersonIdentifier.objects.create(person=person, scheme=scheme_code, identifier=value)
    audit_record(
        actor=actor,
        action="person.identifier_attach",
        object_type="actors.person",
        object_id=person.pk,
        # A person's identifier is private: the public audit chain records only its scheme.
        after={"scheme": scheme_code},
        now=now,
    )
    return attached


# --- posts and memberships --------------------------------------------------------------------


@transaction.atomic
def post_create(
    *,
    actor: Any,
    now: datetime,
    organization: Organization,
    label: str,
    role: str = "",
    area_id: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
) -> Post:
    label = _name(label, "label")
    area = _territory(area_id, required=False)
    _dates(start_date, end_date, error=DatesReversed)
    post = Post.objects.create(
        label=label,
        role=role.strip(),
        organization=organization,
        area=area,
        start_date=start_date,
        end_date=end_date,
    )
    audit_record(
        actor=actor,
        action="post.create",
        object_type="actors.post",
        object_id=post.pk,
        after={
            "label": post.label,
            "role": post.role,
            "organization_id": organization.pk,
            "area_id": post.area_id,
            "start_date": start_date,
            "end_date": end_date,
        },
        now=now,
    )
    return post


@transaction.atomic
def membership_create(
    *,
    actor: Any,
    now: datetime,
    person: Person,
    organization: Organization,
    role: str = "",
    post: Post | None = None,
    on_behalf_of: Organization | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
) -> Membership:
    _dates(start_date, end_date, error=DatesReversed)
    if post is not None and post.organization_id != organization.pk:
        raise PostOfAnotherOrganization(
            _("El cargo «%(post)s» es de otra organización.") % {"post": post.label}
        )
    role = role.strip() or (post.role if post is not None else "")
    membership = Membership.objects.create(
        person=person,
        organization=organization,
        role=role,
        post=post,
        on_behalf_of=on_behalf_of,
        start_date=start_date,
        end_date=end_date,
    )
    audit_record(
        actor=actor,
        action="membership.create",
        object_type="actors.membership",
        object_id=membership.pk,
        after=_membership_audit(membership),
        now=now,
    )
    return membership


@transaction.atomic
def membership_end(
    *, actor: Any, now: datetime, membership: Membership, end_date: date
) -> Membership:
    m = Membership.objects.select_for_update().get(pk=membership.pk)
    if m.end_date is not None:
        raise MembershipAlreadyEnded(
            _("La membresía ya terminó el %(date)s.") % {"date": m.end_date.isoformat()}
        )
    _dates(m.start_date, end_date, error=DatesReversed)
    before = _membership_audit(m)
    m.end_date = end_date
    m.save(update_fields=["end_date"])
    audit_record(
        actor=actor,
        action="membership.end",
        object_type="actors.membership",
        object_id=m.pk,
        before=before,
        after=_membership_audit(m),
        now=now,
    )
    return m


__all__ = [
    "UNSET",
    "ActorsError",
    "AlreadyDissolved",
    "BlankName",
    "DatesReversed",
    "DissolutionBeforeFounding",
    "IdentifierRefused",
    "IdentifierTaken",
    "MembershipAlreadyEnded",
    "ParentCycle",
    "PostOfAnotherOrganization",
    "SizeForNonFirm",
    "SizeMissing",
    "UnknownClassification",
    "UnknownParent",
    "UnknownTerritory",
    "membership_create",
    "membership_end",
    "organization_create",
    "organization_dissolve",
    "organization_identifier_attach",
    "organization_update",
    "person_create",
    "person_identifier_attach",
    "person_update",
    "post_create",
]
