"""What happens in a territory: the sections of a territory page that other capabilities add.

A capability (councils, participatory budgeting, social income...) registers a section in its
AppConfig.ready():

    from minga.territories import sections
    sections.register(sections.Section(
        slug="budgeting", title=_("Presupuesto participativo"),
        template="budgeting/territory_section.html", context=processes_in_territory, order=20))

`context(territory)` returns the template's context, or None when the capability has nothing
to show for that territory (the section is then left out). Sections render in `order`, then
by slug."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SectionContext = Callable[[Any], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Section:
    slug: str
    title: str  # a translatable (lazy) string: the section's heading
    template: str
    context: SectionContext
    order: int = 100


class DuplicateSection(Exception):
    pass


_REGISTRY: dict[str, Section] = {}


def register(section: Section) -> None:
    existing = _REGISTRY.get(section.slug)
    if existing is not None and existing != section:
        raise DuplicateSection(f"territory section {section.slug!r} is already registered")
    _REGISTRY[section.slug] = section


def unregister(slug: str) -> None:
    _REGISTRY.pop(slug, None)


def sections() -> list[Section]:
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.slug))


@dataclass(frozen=True)
class RenderedSection:
    section: Section
    context: Mapping[str, Any]


def sections_for(territory: Any) -> list[RenderedSection]:
    """The sections that have something to show for this territory, in order."""
    out = []
    for section in sections():
        context = section.context(territory)
        if context is not None:
            out.append(RenderedSection(section=section, context=context))
    return out
