import csv
import io
import json
from datetime import UTC, datetime

import pytest

from minga.core import opendata


@pytest.fixture
def rivers(monkeypatch, db):
    ds = opendata.Dataset(
        slug="test-rivers",
        name="Ríos de prueba",
        description="Un conjunto de datos de prueba.",
        columns=("code", "name", "length_km", "tags"),
        rows=lambda: [
            {"code": "R1", "name": "Río Blanco", "length_km": 12, "tags": ["a", "b"]},
            {"code": "R2", "name": "Yanayacu, alto", "length_km": None, "tags": []},
        ],
        updated_at=lambda: datetime(2026, 11, 1, tzinfo=UTC),
        app="core",
    )
    monkeypatch.setitem(opendata._REGISTRY, ds.slug, ds)
    return ds


def test_a_registered_dataset_is_listed_on_the_open_data_page(client, rivers):
    response = client.get("/open-data/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Ríos de prueba" in body
    assert 'href="/open-data/test-rivers.csv"' in body
    assert 'href="/open-data/test-rivers.json"' in body


def test_a_dataset_downloads_as_csv_with_its_columns_in_order(client, rivers):
    response = client.get("/open-data/test-rivers.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="minga-test-rivers.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["code", "name", "length_km", "tags"],
        ["R1", "Río Blanco", "12", '["a", "b"]'],
        ["R2", "Yanayacu, alto", "", "[]"],
    ]


def test_a_dataset_downloads_as_json_with_its_licence(client, rivers):
    response = client.get("/open-data/test-rivers.json")

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "dataset": "test-rivers",
        "name": "Ríos de prueba",
        "licence": "CC-BY-4.0",
        "columns": ["code", "name", "length_km", "tags"],
        "rows": [
            {"code": "R1", "name": "Río Blanco", "length_km": 12, "tags": ["a", "b"]},
            {"code": "R2", "name": "Yanayacu, alto", "length_km": None, "tags": []},
        ],
    }


@pytest.mark.parametrize("path", ["/open-data/no-such.csv", "/open-data/test-rivers.xml"])
def test_an_unknown_dataset_or_format_is_not_found(client, rivers, path):
    assert client.get(path).status_code == 404


def test_registering_a_different_dataset_under_a_taken_slug_is_refused(rivers):
    other = opendata.Dataset(
        slug="test-rivers",
        name="Otro",
        description="",
        columns=("x",),
        rows=list,
        updated_at=lambda: None,
    )

    with pytest.raises(opendata.DuplicateDataset, match="'test-rivers' is already registered"):
        opendata.register(other)


@pytest.mark.parametrize(("count", "published"), [(0, 0), (1, None), (4, None), (5, 5), (80, 80)])
def test_counts_of_fewer_than_five_persons_are_withheld(count, published):
    assert opendata.suppress_small(count) == published
