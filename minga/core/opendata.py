"""The open-data registry. Each app registers its datasets in its AppConfig.ready(); the
/open-data page lists them all and serves each one as CSV and JSON.

Personal data never goes out through here unaggregated: a dataset that counts persons passes
its cells through `suppress_small` (cells under SMALL_CELL persons are withheld)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

SMALL_CELL = 5

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Dataset:
    slug: str
    name: str | Promise  # usually a lazily translated string
    description: str | Promise
    columns: tuple[str, ...]
    rows: Callable[[], Iterable[Row]]
    updated_at: Callable[[], datetime | None]
    licence: str = "CC-BY-4.0"
    app: str = ""
    formats: tuple[str, ...] = field(default=("csv", "json"))


_REGISTRY: dict[str, Dataset] = {}


class DuplicateDataset(Exception):
    pass


def register(dataset: Dataset) -> None:
    existing = _REGISTRY.get(dataset.slug)
    if existing is not None and existing != dataset:
        raise DuplicateDataset(f"dataset {dataset.slug!r} is already registered")
    _REGISTRY[dataset.slug] = dataset


def datasets() -> list[Dataset]:
    return sorted(_REGISTRY.values(), key=lambda d: (d.app, d.slug))


def dataset(slug: str) -> Dataset | None:
    return _REGISTRY.get(slug)


def suppress_small(count: int) -> int | None:
    """A count of persons under SMALL_CELL is published as null (withheld)."""
    return None if 0 < count < SMALL_CELL else count
