"""The HTTP API: writes need an operator token; every item gets a result; bad input gets a 422
naming the field and changes nothing; reads are public."""

import json
import uuid

import pytest

from minga.ledger import selectors, services
from minga.ledger.domain import BATCH_MAX
from minga.ledger.tests.factories import at, create_transfers, funded_pair, transfer


def post_json(client, url, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


ACCOUNTS = "/api/v1/ledger/accounts"
TRANSFERS = "/api/v1/ledger/transfers"


@pytest.mark.django_db
def test_an_operator_creates_accounts_and_gets_one_result_per_item(client, operator_token):
    body = [
        {"id": "1", "ledger": 840, "code": 1},
        {"id": "2", "ledger": 840, "code": 1, "flags": ["debits_must_not_exceed_credits"]},
        {"id": "1", "ledger": 840, "code": 1},
        {"id": "3", "ledger": 0, "code": 1},
    ]

    response = post_json(client, ACCOUNTS, body, operator_token)

    assert response.status_code == 200
    assert response.json() == [
        {"index": 0, "result": "ok"},
        {"index": 1, "result": "ok"},
        {"index": 2, "result": "exists"},
        {"index": 3, "result": "ledger_must_not_be_zero"},
    ]
    assert selectors.account_get(account_id=2).flags == 2


@pytest.mark.django_db
def test_an_operator_creates_transfers_with_flags_by_name(client, operator_token):
    funded_pair()
    body = [
        {
            "id": "10",
            "debit_account_id": "2",
            "credit_account_id": "3",
            "amount": 40,
            "ledger": 840,
            "code": 1,
            "flags": ["pending"],
            "timeout": 60,
        },
        {"id": "11", "pending_id": "10", "amount": 25, "flags": ["post_pending_transfer"]},
        {
            "id": "12",
            "debit_account_id": "2",
            "credit_account_id": "3",
            "amount": 1000,
            "ledger": 840,
            "code": 1,
        },
    ]

    response = post_json(client, TRANSFERS, body, operator_token)

    assert response.json() == [
        {"index": 0, "result": "ok"},
        {"index": 1, "result": "ok"},
        {"index": 2, "result": "exceeds_credits"},
    ]
    assert selectors.account_get(account_id=2).debits_posted == 25


@pytest.mark.django_db
def test_ids_may_travel_as_uuids(client, operator_token):
    an_id = uuid.UUID("6f1c2d3e-0000-4000-8000-00000000abcd")

    post_json(client, ACCOUNTS, [{"id": str(an_id), "ledger": 1, "code": 1}], operator_token)
    response = client.get(f"/api/v1/ledger/accounts/{an_id}")

    assert response.status_code == 200
    assert response.json()["id"] == str(an_id.int)


@pytest.mark.django_db
def test_writes_without_a_token_are_refused_and_change_nothing(client):
    response = post_json(client, ACCOUNTS, [{"id": "1", "ledger": 1, "code": 1}])

    assert response.status_code == 401
    assert response.json()["field"] == "Authorization"
    assert selectors.account_get(account_id=1) is None


@pytest.mark.django_db
def test_a_resident_token_cannot_write(client, resident_token):
    response = post_json(client, ACCOUNTS, [{"id": "1", "ledger": 1, "code": 1}], resident_token)

    assert response.status_code == 401
    assert selectors.account_get(account_id=1) is None


BAD_TRANSFERS = [
    ({"id": 5, "amount": 1}, "0.id", "Value error, must be a string of decimal digits or a UUID"),
    ({"id": "12x"}, "0.id", "Value error, must be a string of decimal digits or a UUID"),
    ({"id": "1" * 40}, "0.id", "Value error, is larger than 2^128 - 1"),
    ({"id": "5", "amount": -1}, "0.amount", "Input should be greater than or equal to 0"),
    (
        {"id": "5", "amount": 2**63},
        "0.amount",
        "Input should be less than or equal to 9223372036854775807",
    ),
    ({"id": "5", "amount": "7"}, "0.amount", "Input should be a valid integer"),
    (
        {"id": "5", "flags": ["pendiente"]},
        "0.flags",
        "Value error, unknown flag 'pendiente'; known: linked, pending, post_pending_transfer, "
        "void_pending_transfer, closing_debit, closing_credit",
    ),
    ({"id": "5", "colour": "red"}, "0.colour", "Extra inputs are not permitted"),
    ({"amount": 5}, "0.id", "Field required"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item", "field", "message"), BAD_TRANSFERS, ids=[b[1] + ":" + b[2][:20] for b in BAD_TRANSFERS]
)
def test_a_bad_transfer_field_is_named_and_nothing_changes(
    client, operator_token, item, field, message
):
    funded_pair()
    head = selectors.ledger_head().last_hash
    good = {
        "id": "77",
        "debit_account_id": "2",
        "credit_account_id": "3",
        "amount": 1,
        "ledger": 840,
        "code": 1,
    }

    response = post_json(client, TRANSFERS, [good, item], operator_token)

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field.replace("0.", "1.")
    assert body["message"] == message
    assert selectors.ledger_head().last_hash == head
    assert selectors.transfer_get(transfer_id=77) is None


@pytest.mark.django_db
def test_an_empty_or_oversized_batch_is_refused(client, operator_token):
    empty = post_json(client, TRANSFERS, [], operator_token)
    big = post_json(
        client,
        ACCOUNTS,
        [{"id": str(i + 1), "ledger": 1, "code": 1} for i in range(BATCH_MAX + 1)],
        operator_token,
    )

    assert (empty.status_code, empty.json()) == (
        422,
        {"message": "a batch needs at least one item", "field": "body"},
    )
    assert (big.status_code, big.json()) == (
        422,
        {"message": f"a batch holds at most {BATCH_MAX} items", "field": "body"},
    )
    assert selectors.account_get(account_id=1) is None


@pytest.mark.django_db
def test_a_body_that_is_not_a_list_is_refused(client, operator_token):
    response = post_json(client, TRANSFERS, {"id": "1"}, operator_token)

    assert response.status_code == 422
    assert response.json()["message"] == "Input should be a valid list"


@pytest.mark.django_db
def test_anyone_reads_an_account_with_its_four_balances(client):
    funded_pair()

    response = client.get("/api/v1/ledger/accounts/2")

    body = response.json()
    assert response.status_code == 200
    assert {k: body[k] for k in ("id", "ledger", "code", "flags")} == {
        "id": "2",
        "ledger": 840,
        "code": 1,
        "flags": ["debits_must_not_exceed_credits"],
    }
    assert (
        body["debits_pending"],
        body["debits_posted"],
        body["credits_pending"],
        body["credits_posted"],
    ) == (0, 0, 0, 100)


@pytest.mark.django_db
def test_an_unknown_or_malformed_account_id_is_answered_clearly(client):
    missing = client.get("/api/v1/ledger/accounts/42")
    malformed = client.get("/api/v1/ledger/accounts/abc")

    assert (missing.status_code, missing.json()) == (
        404,
        {"message": "account 42 does not exist", "field": "account_id"},
    )
    assert (malformed.status_code, malformed.json()) == (
        422,
        {
            "message": "account_id must be a string of decimal digits or a UUID",
            "field": "account_id",
        },
    )


@pytest.mark.django_db
def test_an_accounts_transfers_come_in_pages(client):
    funded_pair()
    create_transfers(*[transfer(i, 2, 3, 1) for i in range(1, 5)], now=at(1))

    first = client.get("/api/v1/ledger/accounts/3/transfers?limit=3").json()
    rest = client.get(
        f"/api/v1/ledger/accounts/3/transfers?limit=3&after={first['next_after']}"
    ).json()

    assert [t["id"] for t in first["transfers"]] == ["1", "2", "3"]
    assert [t["id"] for t in rest["transfers"]] == ["4"]
    assert rest["next_after"] is None
    assert first["transfers"][0]["debit_account_id"] == "2"


@pytest.mark.django_db
def test_a_bad_page_size_names_the_parameter(client):
    funded_pair()

    response = client.get("/api/v1/ledger/accounts/3/transfers?limit=5000")

    assert response.status_code == 422
    assert response.json()["field"] == "limit"


@pytest.mark.django_db
def test_balances_at_a_point_in_time_over_http(client):
    funded_pair(now=at(0))
    create_transfers(transfer(1, 2, 3, 30), now=at(10))
    ts = selectors.transfer_get(transfer_id=1).timestamp

    before = client.get(f"/api/v1/ledger/accounts/3/balances?timestamp={ts - 1}").json()
    after = client.get(f"/api/v1/ledger/accounts/3/balances?timestamp={ts}").json()

    assert before["credits_posted"] == 0
    assert after["credits_posted"] == 30


@pytest.mark.django_db
def test_anyone_reads_a_transfer(client):
    funded_pair()

    response = client.get("/api/v1/ledger/transfers/1000")

    assert response.json()["amount"] == 100
    assert response.json()["credit_account_id"] == "2"


@pytest.mark.django_db
def test_the_openapi_document_describes_the_ledger_endpoints(client):
    response = client.get("/api/v1/openapi.json")

    paths = sorted(p for p in response.json()["paths"] if p.startswith("/api/v1/ledger/"))
    assert paths == [
        "/api/v1/ledger/accounts",
        "/api/v1/ledger/accounts/{account_id}",
        "/api/v1/ledger/accounts/{account_id}/balances",
        "/api/v1/ledger/accounts/{account_id}/transfers",
        "/api/v1/ledger/transfers",
        "/api/v1/ledger/transfers/{transfer_id}",
    ]


@pytest.mark.django_db
def test_a_batch_that_kept_meeting_concurrent_changes_answers_503_with_retry_after(
    client, operator_token, monkeypatch
):
    funded_pair()

    def busy(**kwargs):
        raise services.LedgerBusy("the batch met concurrent changes 25 times; send it again")

    monkeypatch.setattr(services, "transfers_create", busy)
    body = [{"id": "10", "debit_account_id": "2", "credit_account_id": "3", "amount": 4}]
    body[0].update(ledger=840, code=1)

    response = post_json(client, TRANSFERS, body, operator_token)

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["message"].endswith("send it again")
    assert selectors.transfer_get(transfer_id=10) is None
