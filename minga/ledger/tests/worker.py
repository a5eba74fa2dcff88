"""A separate process that writes to the test database, for the concurrency and crash tests.

Run as `python -m minga.ledger.tests.worker '<json>'` with the test database's settings in the
JSON. Modes: "spend" sends its transfers one per batch once the parent says GO (after every
worker said READY), and prints the results as JSON; "crash" sends one batch and stops inside
it, after the journal rows are written and before the balances are, printing MID-BATCH and
waiting to be killed."""

import json
import os
import sys
import time
from datetime import UTC, datetime


def main() -> None:
    config = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings.test")
    from django.conf import settings

    settings.DATABASES["default"].update(config["database"])
    import django

    django.setup()
    from minga.ledger import services
    from minga.ledger.domain import TransferEvent

    events = [TransferEvent(**e) for e in config["events"]]
    if config["mode"] == "crash":
        from minga.ledger import selectors

        original = selectors.run_together

        def stop_inside(statements, **options):
            balances = [i for i, st in enumerate(statements) if "ledger_account" in sql_of(st)]
            if not balances or not sql_writes(statements):
                return original(statements, **options)
            # The journal rows (and what precedes the balances) are written; then it stops.
            original(statements[: balances[0]])
            print("MID-BATCH", flush=True)
            time.sleep(120)
            return original(statements[balances[0] :], **options)

        def sql_of(statement):
            return statement.sql if isinstance(statement, selectors.Many) else statement[0]

        def sql_writes(statements):
            return any(sql_of(st).startswith(("INSERT", "UPDATE")) for st in statements)

        selectors.run_together = stop_inside
        services.transfers_create(events=events, now=datetime.now(UTC))
        print("FINISHED", flush=True)
        return
    from django.db import connection

    connection.ensure_connection()
    # A barrier: every worker is up and connected before any of them starts.
    print("READY", flush=True)
    assert sys.stdin.readline().strip() == "GO"
    results = [str(services.transfers_create(events=[e], now=datetime.now(UTC))[0]) for e in events]
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
