import sys

from django.core.management.base import BaseCommand, CommandParser

from minga.core.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Recomputes a hash chain and prints the first broken link (exit status 1 if any)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["audit"], help="audit: the audit log")

    def handle(self, *args: object, what: str, **options: object) -> None:
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
