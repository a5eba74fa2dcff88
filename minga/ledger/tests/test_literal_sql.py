"""The statements of the single-transfer path are written with their values as literals and sent
straight through libpq (selectors.Literal, selectors.run_literal_sql). These tests check that
every kind of value arrives as it was, that failures come back as the same Django errors a
cursor gives (the write path's retries depend on them), and that a batch ending that way is
audited like any other. PostgreSQL only: SQLite's write path never takes it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import DatabaseError, IntegrityError, connection

from minga.core.models import AuditEvent
from minga.core.selectors import audit_chain_verify
from minga.ledger import selectors, services
from minga.ledger.tests.factories import at, funded_pair, transfer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (the PostgreSQL pass of `make test` runs these)",
)

AWKWARD = [
    "",
    "plain",
    "O'Brien",
    "back\\slash",
    'double "quotes"',
    "comma, {braces} and NULL",
    "NULL",
    "línea\nnueva\ttab ñandú 🌱",
    "\\' and '\\",
]


@pytest.mark.django_db
@pytest.mark.parametrize("value", AWKWARD)
def test_text_arrives_as_it_was(value):
    lit = selectors.Literal()
    [[(got,)]] = selectors.run_literal_sql(f"SELECT {lit.text(value)}::text")
    assert got.decode() == value


@pytest.mark.django_db
def test_a_text_array_arrives_element_by_element():
    lit = selectors.Literal()
    array = lit.text_array(AWKWARD)
    [rows] = selectors.run_literal_sql(
        f"SELECT x FROM unnest({array}) WITH ORDINALITY AS u(x, n) ORDER BY n"  # noqa: S608
    )
    assert [r[0].decode() for r in rows] == AWKWARD


@pytest.mark.django_db
def test_numbers_digit_strings_null_and_times_arrive_as_they_were():
    lit = selectors.Literal()
    when = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=timezone(timedelta(hours=-5)))
    [[row]] = selectors.run_literal_sql(
        "SELECT "
        + ", ".join(
            [
                f"array_to_string({lit.plain_array([0, 7, 2**63 - 1], 'bigint[]')}, ';')",
                f"array_to_string({lit.plain_array(['000123', '1|2|'], 'text[]')}, ';')",
                f"cardinality({lit.plain_array([], 'bigint[]')})",
                f"({lit.timestamp(when)} = '2026-12-01 04:59:58.123456+00'::timestamptz)::text",
                lit.text(None),
            ]
        )
    )
    assert row == (b"0;7;9223372036854775807", b"000123;1|2|", b"0", b"true", None)


def test_a_naive_time_is_refused():
    with pytest.raises(AssertionError, match="aware"):
        selectors.Literal.timestamp(datetime(2026, 1, 1))


@pytest.mark.django_db
def test_each_statement_gives_its_own_rows():
    rows = selectors.run_literal_sql(
        "SELECT 1 WHERE false;\n"
        "SELECT n FROM generate_series(1, 3) AS n;\n"
        "SET LOCAL work_mem = '8MB'"
    )
    assert rows == [[], [(b"1",), (b"2",), (b"3",)], []]


@pytest.mark.django_db
def test_a_duplicate_key_is_djangos_integrity_error_naming_the_table():
    funded_pair()
    services.transfers_create(events=[transfer(1, 2, 3, 10)], now=at(1))
    with pytest.raises(IntegrityError) as caught:
        selectors.run_literal_sql(
            "INSERT INTO ledger_transfer SELECT * FROM ledger_transfer LIMIT 1"
        )
    assert caught.value.__cause__.sqlstate == "23505"
    assert services._id_taken(caught.value)


@pytest.mark.django_db
def test_an_error_raised_by_the_server_keeps_its_sqlstate():
    with pytest.raises(DatabaseError) as caught:
        selectors.run_literal_sql(
            "DO $$ BEGIN RAISE EXCEPTION 'declined' USING ERRCODE = 'ML001'; END $$"
        )
    assert caught.value.__cause__.sqlstate == services.REFUSED_IN_DATABASE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actor", ['O\'Brien \\ "the auditor"', "Ñusta Quispe 🌱"])
def test_a_transfer_ended_in_its_own_transaction_is_audited_under_any_name(
    ledger_transactional, actor
):
    funded_pair()
    sent = []
    original = selectors.run_literal_sql

    def spy(sql):
        sent.append(sql)
        return original(sql)

    services.selectors.run_literal_sql = spy
    try:
        results = services.transfers_create(
            events=[transfer(1, 2, 3, 10)], actor=actor, now=datetime.now(UTC)
        )
    finally:
        services.selectors.run_literal_sql = original

    assert results == ["ok"]
    assert any("minga_ledger_append" in sql and sql.endswith("COMMIT") for sql in sent)
    assert connection.connection.info.transaction_status.name == "IDLE"
    event = AuditEvent.objects.filter(action="ledger.transfers_create").last()
    assert event.actor_label == actor
    assert event.after["journal_hash"] == selectors.ledger_head().last_hash
    assert audit_chain_verify().ok
    report = selectors.ledger_verify()
    assert report.ok, report.problem


@pytest.mark.django_db
def test_the_small_batch_functions_ask_for_generic_plans():
    [rows] = selectors.run_literal_sql(
        "SELECT proname, proconfig FROM pg_proc "
        "WHERE proname IN ('minga_ledger_append', 'minga_audit_append') ORDER BY proname"
    )
    assert rows == [
        (b"minga_audit_append", b"{plan_cache_mode=force_generic_plan}"),
        (b"minga_ledger_append", b"{plan_cache_mode=force_generic_plan}"),
    ]


@pytest.mark.django_db(transaction=True)
def test_with_health_checks_a_dropped_connection_is_replaced_as_for_djangos_cursors(
    ledger_transactional,
):
    from django.db import connections

    funded_pair()
    db = connections["default"]
    db.ensure_connection()
    pid = db.connection.info.backend_pid
    # The server drops the test's connection, as after a restart or an idle timeout.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    enabled = db.health_check_enabled
    db.health_check_enabled, db.health_check_done = True, False
    try:
        results = services.transfers_create(events=[transfer(1, 2, 3, 10)], now=datetime.now(UTC))
    finally:
        db.health_check_enabled = enabled

    assert results == ["ok"]
    assert db.connection.info.backend_pid != pid
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_a_statement_with_its_values_written_in_gives_them_back_as_they_were():
    """Literal.statement: what the ledger pipeline sends for every statement of a batch."""
    lit = selectors.Literal()
    params = [*AWKWARD, 0, -7, 2**63 - 1, None]
    marks = ", ".join(["%s::text"] * len(params))
    [[row]] = selectors.run_literal_sql(lit.statement((f"SELECT {marks}", params)))
    expected = [*(v.encode() for v in AWKWARD), b"0", b"-7", str(2**63 - 1).encode(), None]
    assert list(row) == expected


@pytest.mark.django_db
def test_a_statement_refuses_values_it_cannot_write_in():
    lit = selectors.Literal()
    with pytest.raises(TypeError, match="float"):
        lit.statement(("SELECT %s", [1.5]))
    with pytest.raises(TypeError, match="bool"):
        lit.statement(("SELECT %s", [True]))
