import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from minga.core.selectors import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Recomputes a hash chain and prints the first broken link (exit status 1 if any): "
        "`audit` the audit log, `ledger` the ledger's journal and balances."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "what", choices=["audit", "ledger"], help="audit: the audit log; ledger: the ledger"
        )
        parser.add_argument(
            "--from",
            dest="source",
            default=None,
            help="ledger only: verify an exported journal file (JSON lines) instead",
        )

    def handle(self, *args: object, what: str, source: str | None, **options: object) -> None:
        if what == "ledger":
            extra = ["--from", source] if source else []
            call_command("ledger", "verify", *extra, stdout=self.stdout, stderr=self.stderr)
            return
        report = audit_chain_verify()
        if report.ok:
            self.stdout.write(f"audit chain intact: {report.events} events")
            return
        assert report.broken is not None
        self.stderr.write(
            f"audit chain broken at event {report.broken.seq}: {report.broken.reason} "
            f"({report.events} events verified before it)"
        )
        sys.exit(1)
