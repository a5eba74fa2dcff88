"""`minga socialincome programmes | issue | expire | autoconfirm | settle | settle-result |
import | reconcile`.

issue, expire and reconcile are long jobs: they show a progress bar on stderr, and are
idempotent and resumable (run them again after a crash: what is done is not done twice)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from minga.socialincome import selectors, services
from minga.socialincome.domain import parse_period
from minga.socialincome.payments import FORMATS


class Command(BaseCommand):
    help = "Social income for care: list programmes, issue a month, expire credits."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("programmes", help="the programmes, one per line, slug first")
        issue = sub.add_parser("issue", help="issue a month's allotments (idempotent)")
        issue.add_argument("--programme", required=True)
        issue.add_argument("--period", required=True, help="YYYY-MM")
        expire = sub.add_parser("expire", help="expire credits past their validity (idempotent)")
        expire.add_argument("--programme", required=True)
        expire.add_argument("--as-of", dest="as_of", required=True, help="YYYY-MM-DD")
        auto = sub.add_parser("autoconfirm", help="post services left unconfirmed past the window")
        auto.add_argument("--programme", required=True)
        settle = sub.add_parser("settle", help="settle redeemed credits and write payment files")
        settle.add_argument("--programme", required=True)
        settle.add_argument("--until", required=True, help="YYYY-MM-DD")
        settle.add_argument("--out", default=".", help="directory for the payment files")
        settle.add_argument(
            "--format",
            action="append",
            dest="formats",
            help=f"payment file format, repeatable (default: all of {', '.join(FORMATS)})",
        )
        result = sub.add_parser("settle-result", help="import the bank's answer (id,status CSV)")
        result.add_argument("file")
        reconcile = sub.add_parser(
            "reconcile",
            help="void service reservations left without a record by a crash (idempotent)",
        )
        reconcile.add_argument("--programme", required=True)
        registry = sub.add_parser("import", help="import the registry CSV (all or nothing)")
        registry.add_argument("--programme", required=True)
        registry.add_argument("file")

    def _bar(self, done: int, total: int) -> None:
        width = 30
        filled = width if total == 0 else width * done // total
        self.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
            ending="\n" if done >= total else "",
        )
        self.stderr.flush()

    def _settle(self, programme: Any, options: dict[str, Any], now: Any) -> None:
        try:
            until = date.fromisoformat(options["until"])
        except ValueError:
            raise CommandError(f"--until: {options['until']!r} is not a date YYYY-MM-DD") from None
        formats = options.get("formats") or list(FORMATS)
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise CommandError(f"--format: unknown {unknown[0]!r} (known: {', '.join(FORMATS)})")
        out = Path(options["out"])
        if not out.is_dir():
            raise CommandError(f"--out: {out} is not a directory")
        batch = services.settlement_create(actor="cli", programme=programme, until=until, now=now)
        payment_batch = selectors.payment_batch(batch=batch)
        for name in formats:
            extension, writer = FORMATS[name]
            path = out / f"settlement-{programme.slug}-{until.isoformat()}-{name}.{extension}"
            path.write_bytes(writer(payment_batch))
            self.stdout.write(str(path))
        self.stdout.write(
            f"{len(payment_batch.payments)} payments, total {payment_batch.total_minor} "
            f"{payment_batch.currency} minor units"
        )

    def _settle_result(self, file: str) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file: {path} is not a readable file")
        try:
            counts = services.settlement_results_import(
                actor="cli", data=path.read_bytes(), now=timezone.now()
            )
        except services.SettlementResultRefused as error:
            raise CommandError("\n".join(str(e) for e in error.errors)) from None
        self.stdout.write(
            f"paid {counts['paid']}, rejected {counts['rejected']}, unchanged {counts['unchanged']}"
        )

    def _reconcile(self, programme: Any, now: Any) -> None:
        report = services.service_reservations_reconcile(
            actor="cli", programme=programme, now=now, progress=self._bar
        )
        for orphan in report.voided:
            self.stdout.write(
                f"voided {orphan.transfer_id}: wallet {orphan.wallet.account_id} "
                f"({orphan.wallet.category.code}), amount {orphan.amount}"
            )
        self.stdout.write(
            f"voided {len(report.voided)} orphan reservations, amount {report.amount}"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "programmes":
            for p in selectors.programmes_list():
                self.stdout.write(
                    f"{p.slug}\t{p.territory.country_code}:{p.territory.code}\t{p.unit}\t{p.name}"
                )
            return
        if action == "settle-result":
            self._settle_result(options["file"])
            return
        programme = selectors.programme_by_slug(slug=options["programme"])
        if programme is None:
            raise CommandError(f"--programme: no programme {options['programme']!r}")
        now = timezone.now()
        try:
            if action == "issue":
                try:
                    period = parse_period(options["period"])
                except ValueError as error:
                    raise CommandError(f"--{error}") from None
                report = services.month_issue(
                    actor="cli", programme=programme, period=period, now=now, progress=self._bar
                )
                self.stdout.write(
                    f"issued {report.period}: {report.written} new, {report.done_before} "
                    f"already issued, amount {report.amount}"
                )
            elif action == "expire":
                try:
                    as_of = date.fromisoformat(options["as_of"])
                except ValueError:
                    raise CommandError(
                        f"--as-of: {options['as_of']!r} is not a date YYYY-MM-DD"
                    ) from None
                report = services.credits_expire(
                    actor="cli", programme=programme, as_of=as_of, now=now, progress=self._bar
                )
                if not report.period:
                    self.stdout.write(f"nothing has expired by {as_of.isoformat()}")
                else:
                    self.stdout.write(
                        f"expired through {report.period}: {report.written} wallets, "
                        f"{report.done_before} already done, amount {report.amount}"
                    )
            elif action == "settle":
                self._settle(programme, options, now)
            elif action == "reconcile":
                self._reconcile(programme, now)
            elif action == "autoconfirm":
                count = services.services_autoconfirm(programme=programme, now=now)
                self.stdout.write(f"confirmed {count} services automatically")
            else:
                path = Path(options["file"])
                if not path.is_file():
                    raise CommandError(f"file: {path} is not a readable file")
                run = services.registry_import(
                    actor="cli",
                    programme=programme,
                    data=path.read_bytes(),
                    filename=path.name,
                    now=now,
                )
                self.stdout.write(f"imported {run.rows} rows, {len(run.changes)} changes")
        except services.RegistryRefused as error:
            raise CommandError("\n".join(str(e) for e in error.errors)) from None
        except services.SocialIncomeError as error:
            raise CommandError(f"{error.field}: {error.message}") from None
