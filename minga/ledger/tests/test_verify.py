"""Tamper tests (the database refuses edits of the journal; what gets past it, verify finds),
the journal export and `minga ledger verify`, on the database and on an export alone."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from minga.ledger import selectors
from minga.ledger.domain import A_CLOSED, id_text
from minga.ledger.domain import TransferFlags as TF
from minga.ledger.tests.factories import at, create_transfers, funded_pair, post, transfer


def small_journal():
    funded_pair()
    assert (
        create_transfers(
            transfer(1, 2, 3, 30),
            transfer(2, 2, 3, 20, flags=TF.PENDING),
            post(3, 2, amount=15),
            transfer(4, 2, 3, 5, flags=TF.PENDING, timeout=1),
            now=at(1),
        )
        == ["ok"] * 4
    )
    assert create_transfers(transfer(5, 1, 3, 1), now=at(10)) == ["ok"]  # expires 4


def lift_append_only():
    """What someone with the database's owner rights could do: drop the triggers (inside the
    test's transaction, so they come back when it rolls back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER ledger_transfer_append_only ON ledger_transfer")
        else:
            cursor.execute("DROP TRIGGER ledger_transfer_no_update")
            cursor.execute("DROP TRIGGER ledger_transfer_no_delete")


def run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_transfer SET amount = amount + 1",
        "DELETE FROM ledger_transfer",
        "DELETE FROM ledger_account",
        "UPDATE ledger_account SET ledger = 978",
    ],
    ids=["update-transfer", "delete-transfer", "delete-account", "change-account-ledger"],
)
def test_the_database_refuses_to_edit_or_delete_the_journal(sql):
    small_journal()

    with pytest.raises(DatabaseError), transaction.atomic():
        run(sql)

    assert selectors.transfer_get(transfer_id=1).amount == 30
    assert selectors.ledger_verify().ok


@pytest.mark.django_db
def test_the_database_refuses_a_balance_past_the_accounts_limit():
    small_journal()

    with pytest.raises(DatabaseError), transaction.atomic():
        run("UPDATE ledger_account SET debits_posted = 1000 WHERE id = %s", [id_text(2)])

    assert selectors.account_get(account_id=2).debits_posted == 45


@pytest.mark.django_db
def test_verify_names_a_transfer_edited_behind_the_ledgers_back():
    small_journal()
    lift_append_only()

    run("UPDATE ledger_transfer SET amount = 31 WHERE id = %s", [id_text(1)])
    report = selectors.ledger_verify()

    assert not report.ok
    assert report.problem.startswith("journal entry 2 (transfer 1, timestamp ")
    assert "does not match the recomputed" in report.problem


@pytest.mark.django_db
def test_verify_finds_the_newest_entry_removed():
    small_journal()
    lift_append_only()

    run("DELETE FROM ledger_transfer WHERE id = %s", [id_text(5)])
    report = selectors.ledger_verify()

    assert report.problem.startswith("the journal head records 6 entries ending in ")
    assert report.problem.endswith(
        "but the journal has 5 ending in " + report.last_hash + ": entries were removed"
    )


@pytest.mark.django_db
def test_verify_finds_a_balance_that_does_not_match_the_transfers():
    small_journal()

    run("UPDATE ledger_account SET credits_posted = credits_posted + 7 WHERE id = %s", [id_text(3)])
    report = selectors.ledger_verify()

    assert report.problem == "account 3: credits_posted 53 (transfers give 46)"


@pytest.mark.django_db
def test_verify_finds_a_pending_state_that_the_journal_does_not_imply():
    small_journal()

    run("UPDATE ledger_pendingtransfer SET status = 1 WHERE transfer_id = %s", [id_text(4)])
    report = selectors.ledger_verify()

    assert report.problem == "pending transfer 4: status 1 recorded, 4 derived from the journal"


@pytest.mark.django_db
def test_the_verify_command_prints_totals_and_exits_zero():
    small_journal()
    out = io.StringIO()

    call_command("ledger", "verify", stdout=out)

    head = selectors.ledger_head()
    assert out.getvalue().splitlines() == [
        f"ledger verified: 6 journal entries, last hash {head.last_hash}, 3 accounts",
        "ledger 840: debits posted 146 = credits posted 146; debits pending 0 = credits pending 0",
    ]


@pytest.mark.django_db
def test_the_verify_command_prints_the_first_discrepancy_and_exits_one():
    small_journal()
    run("UPDATE ledger_account SET credits_posted = credits_posted + 7 WHERE id = %s", [id_text(3)])
    err = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("ledger", "verify", stderr=err)

    assert exited.value.code == 1
    assert err.getvalue().strip() == (
        "ledger verify FAILED: account 3: credits_posted 53 (transfers give 46)"
    )


def export_lines(*args):
    out = io.StringIO()
    call_command("ledger", "export", *args, stdout=out)
    return out.getvalue().splitlines()


def verify_file(tmp_path, lines):
    path = tmp_path / "journal.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", "verify", "--from", str(path), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, err.getvalue().strip()
    return 0, out.getvalue().strip()


@pytest.mark.django_db
def test_an_exported_journal_verifies_on_its_own(tmp_path):
    small_journal()
    lines = export_lines()

    code, output = verify_file(tmp_path, lines)

    head = selectors.ledger_head()
    assert len(lines) == 7
    assert json.loads(lines[-1]) == {
        "kind": "head",
        "last_hash": head.last_hash,
        "transfers_count": 6,
        "last_timestamp": head.last_timestamp,
        "expired_through": head.expired_through,
    }
    assert (code, output.splitlines()) == (
        0,
        [
            f"ledger verified: 6 journal entries, last hash {head.last_hash}, 3 accounts",
            "ledger 840: debits posted 146 = credits posted 146; "
            "debits pending 0 = credits pending 0",
        ],
    )


@pytest.mark.django_db
def test_an_edited_export_fails_at_the_edited_line(tmp_path):
    small_journal()
    lines = export_lines()
    entry = json.loads(lines[2])
    entry["amount"] += 1
    lines[2] = json.dumps(entry)

    code, output = verify_file(tmp_path, lines)

    assert code == 1
    assert output.startswith("ledger verify FAILED: line 3 (transfer 2): hash ")


@pytest.mark.django_db
def test_a_truncated_export_fails(tmp_path):
    small_journal()

    code, output = verify_file(tmp_path, export_lines()[:-2])

    assert (code, output) == (
        1,
        "ledger verify FAILED: the export has no head line: it is truncated",
    )


@pytest.mark.django_db
def test_an_export_with_a_bad_field_names_the_line_and_the_field(tmp_path):
    small_journal()
    lines = export_lines()
    entry = json.loads(lines[1])
    entry["amount"] = "30"
    lines[1] = json.dumps(entry)

    code, output = verify_file(tmp_path, lines)

    assert (code, output) == (1, "ledger verify FAILED: line 2: '30' is not an integer")


@pytest.mark.django_db
def test_an_export_since_a_time_verifies_its_chain(tmp_path):
    small_journal()
    since = selectors.journal_page().entries[2].transfer.timestamp

    lines = export_lines("--since", str(since))
    code, output = verify_file(tmp_path, lines)

    assert len(lines) == 4
    assert code == 0
    assert output.startswith("ledger verified: 3 journal entries, last hash ")


@pytest.mark.django_db
def test_a_bad_since_is_refused_naming_the_option():
    with pytest.raises(CommandError, match="--since: 'yesterday' is neither a timestamp"):
        export_lines("--since", "yesterday")
    with pytest.raises(CommandError, match="--since: '2026-03-01T00:00' needs a time zone"):
        export_lines("--since", "2026-03-01T00:00")


@pytest.mark.django_db
def test_a_missing_export_file_is_refused():
    with pytest.raises(
        CommandError, match=r"--from: /nonexistent/journal\.jsonl is not a readable"
    ):
        call_command("ledger", "verify", "--from", "/nonexistent/journal.jsonl")


@pytest.mark.django_db
def test_the_expire_command_releases_timed_out_reservations():
    funded_pair()
    create_transfers(transfer(1, 2, 3, 5, flags=TF.PENDING, timeout=1), now=at(0))
    out = io.StringIO()

    call_command("ledger", "expire", stdout=out)

    assert out.getvalue().strip() == "expired 1 pending transfers"
    assert selectors.account_get(account_id=2).debits_pending == 0


@pytest.mark.django_db
def test_verify_replays_a_timeout_before_the_transfers_after_it():
    # Found by the stateful test: a reservation that closes account 2 times out, and a later
    # one closes it again. The ledger ends with account 2 closed; verify released the first
    # reservation only at the end of its replay, and so thought the account should be open.
    funded_pair()
    closing = TF.PENDING | TF.CLOSING_DEBIT
    assert create_transfers(transfer(1, 2, 3, 1, flags=closing, timeout=1), now=at(1)) == ["ok"]
    assert create_transfers(
        transfer(2, 1, 2, 1, flags=TF.PENDING | TF.CLOSING_CREDIT), now=at(3)
    ) == ["ok"]

    assert selectors.account_get(account_id=2).flags & A_CLOSED
    report = selectors.ledger_verify()
    assert report.ok, report.problem
