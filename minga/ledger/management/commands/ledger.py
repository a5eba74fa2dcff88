"""`minga ledger verify [--from journal.jsonl]`, `minga ledger export [--since T]` and
`minga ledger expire`.

verify recomputes the journal's hash chain, every account's four balances from the transfers and
conservation per ledger; it prints the totals and exits 0, or prints the first discrepancy and
exits 1. With --from it verifies an exported journal on its own, without the database.
export writes the journal as JSON Lines (one transfer per line, then a head line).
expire releases the reservations of pending transfers whose timeout has passed."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from minga.ledger import selectors, services


def _since(value: str) -> int:
    text = value.strip()
    if text.isdecimal():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since: {value!r} is neither a timestamp in ns nor an ISO 8601 date-time"
        ) from None
    if parsed.tzinfo is None:
        raise CommandError(f"--since: {value!r} needs a time zone (e.g. 2026-03-01T00:00Z)")
    return selectors.datetime_to_ns(parsed)


class Command(BaseCommand):
    help = "The ledger's auditor tools: verify, export, expire."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute the chain, balances and conservation")
        verify.add_argument(
            "--from", dest="source", help="an exported journal (JSON Lines; - for stdin)"
        )
        export = sub.add_parser("export", help="write the journal as JSON Lines to stdout")
        export.add_argument(
            "--since", type=str, default="", help="only entries after this time (ns or ISO 8601)"
        )
        sub.add_parser("expire", help="release timed-out pending transfers")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options.get("source"))
        elif action == "export":
            self._export(options.get("since") or "")
        else:
            expired = services.pending_transfers_expire(actor="cli", now=timezone.now())
            self.stdout.write(f"expired {expired} pending transfers")

    def _export(self, since_text: str) -> None:
        since = _since(since_text) if since_text else 0
        for line in selectors.journal_export(since=since):
            self.stdout.write(json.dumps(line, separators=(",", ":")))

    def _verify(self, source: str | None) -> None:
        if source:
            if source == "-":
                report = selectors.journal_verify_lines(sys.stdin)
            else:
                path = Path(source)
                if not path.is_file():
                    raise CommandError(f"--from: {source} is not a readable file")
                with path.open(encoding="utf-8") as lines:
                    report = selectors.journal_verify_lines(lines)
        else:
            report = selectors.ledger_verify()
        if not report.ok:
            self.stderr.write(f"ledger verify FAILED: {report.problem}")
            sys.exit(1)
        self.stdout.write(
            f"ledger verified: {report.entries} journal entries, last hash {report.last_hash}"
            + (f", {report.accounts} accounts" if report.accounts else "")
        )
        for number, t in sorted(report.ledgers.items()):
            self.stdout.write(
                f"ledger {number}: debits posted {t.debits_posted} = credits posted "
                f"{t.credits_posted}; debits pending {t.debits_pending} = credits pending "
                f"{t.credits_pending}"
            )
