"""Many processes at once, and a process killed in the middle of a batch. Both run on SQLite and
on PostgreSQL: the data is committed (transactional tests) so other processes can see it."""

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict

import pytest
from django.db import connection

from minga.ledger import selectors
from minga.ledger.tests.factories import T0, funded_pair, transfer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def database_config():
    keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
    return {k: str(connection.settings_dict[k]) for k in keys if connection.settings_dict.get(k)}


def worker(mode, events, **extra):
    config = {
        "mode": mode,
        "database": database_config(),
        "events": [asdict(e) for e in events],
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "minga.ledger.tests.worker", json.dumps(config)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_many_processes_spending_one_balance_get_exactly_what_it_affords(ledger_transactional):
    funded_pair(funding=100, now=T0)  # account 2 holds 100 and may not overdraw
    processes, per_process = 8, 8
    workers = [
        worker("spend", [transfer(1 + p * 100 + k, 2, 3, 5) for k in range(per_process)])
        for p in range(processes)
    ]
    for w in workers:
        assert w.stdout.readline().strip() == "READY", w.stderr.read()
    for w in workers:  # all at once
        w.stdin.write("GO\n")
        w.stdin.flush()
    results = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        results += json.loads(out.strip().splitlines()[-1])

    assert results.count("ok") == 20  # 100 / 5: exactly the affordable transfers
    assert results.count("exceeds_credits") == processes * per_process - 20
    account = selectors.account_get(account_id=2)
    assert (account.debits_posted, account.credits_posted) == (100, 100)
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    assert report.entries == 21


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_in_the_middle_of_a_batch_leaves_nothing_half_applied(
    ledger_transactional,
):
    funded_pair(funding=100, now=T0)
    head = selectors.ledger_head()
    batch = [transfer(10 + k, 1, 3, 1) for k in range(300)]

    victim = worker("crash", batch)
    line = victim.stdout.readline().strip()
    assert line == "MID-BATCH", victim.stderr.read()
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)

    assert victim.returncode == -signal.SIGKILL
    assert selectors.transfers_get(transfer_ids=range(10, 310)) == {}
    after = selectors.ledger_head()
    assert (after.transfers_count, after.last_hash) == (head.transfers_count, head.last_hash)
    assert selectors.account_get(account_id=3).credits_posted == 0
    report = selectors.ledger_verify()
    assert report.ok, report.problem
    # The ledger goes on: the same batch, sent again, goes through whole.
    from minga.ledger.tests.factories import create_transfers

    assert set(create_transfers(*batch)) == {"ok"}
    assert selectors.account_get(account_id=3).credits_posted == 300
