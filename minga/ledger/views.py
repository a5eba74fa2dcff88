"""The public auditor's pages: ledgers and their totals, accounts with their balances, the
hash-chained journal, and the result of recomputing it. Read-only; no sign-in needed."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import selectors
from .domain import InvalidId, parse_u128

PAGE = 50


class BadParameter(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def amount_display(amount: int, scale: int) -> str:
    """Minor units shown in major units, exactly (integer arithmetic, no float)."""
    if scale == 0:
        return f"{amount:,}"
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**scale)
    return f"{sign}{whole:,}.{frac:0{scale}d}"


def _after(request: HttpRequest) -> int:
    raw = request.GET.get("after", "0")
    if not raw.isdigit() or not raw.isascii() or len(raw) > 39:
        raise BadParameter("after", _("«after» debe ser un número entero no negativo."))
    return int(raw)


def _bad(request: HttpRequest, exc: BadParameter) -> HttpResponse:
    return render(
        request,
        "ledger/error.html",
        {"field": exc.field, "message": exc.message},
        status=400,
    )


def _scales() -> dict[int, selectors.LedgerTotals]:
    return {t.number: t for t in selectors.ledgers_totals()}


def index(request: HttpRequest) -> HttpResponse:
    head = selectors.ledger_head()
    return render(
        request,
        "ledger/index.html",
        {"ledgers": _totals_rows(selectors.ledgers_totals()), "head": head},
    )


def _totals_rows(totals: list[selectors.LedgerTotals]) -> list[dict[str, Any]]:
    return [
        {
            "t": t,
            "debits_posted": amount_display(t.debits_posted, t.scale),
            "credits_posted": amount_display(t.credits_posted, t.scale),
            "debits_pending": amount_display(t.debits_pending, t.scale),
            "credits_pending": amount_display(t.credits_pending, t.scale),
        }
        for t in totals
    ]


def ledger_detail(request: HttpRequest, number: int) -> HttpResponse:
    totals = selectors.ledger_totals(number=number)
    if totals is None:
        raise Http404(_("Ese libro no existe."))
    try:
        after = _after(request)
    except BadParameter as exc:
        return _bad(request, exc)
    page = selectors.ledger_accounts(number=number, after=after, limit=PAGE)
    rows = [
        {
            "a": a,
            "balance": amount_display(a.credits_posted - a.debits_posted, totals.scale),
            "debits_posted": amount_display(a.debits_posted, totals.scale),
            "credits_posted": amount_display(a.credits_posted, totals.scale),
            "debits_pending": amount_display(a.debits_pending, totals.scale),
            "credits_pending": amount_display(a.credits_pending, totals.scale),
            "flags": selectors.flags_display(a.flags, account=True),
        }
        for a in page.accounts
    ]
    return render(
        request,
        "ledger/ledger.html",
        {
            "totals": _totals_rows([totals])[0],
            "accounts": rows,
            "next_after": page.next_after,
            "head": selectors.ledger_head(),
        },
    )


def account_detail(request: HttpRequest, account_id: str) -> HttpResponse:
    try:
        number = parse_u128(account_id)
    except InvalidId:
        raise Http404(_("Esa cuenta no existe.")) from None
    account = selectors.account_get(account_id=number)
    if account is None:
        raise Http404(_("Esa cuenta no existe."))
    try:
        after = _after(request)
    except BadParameter as exc:
        return _bad(request, exc)
    scale = _scales().get(account.ledger)
    digits = scale.scale if scale else 0
    page = selectors.account_transfers(account_id=number, after=after, limit=PAGE)
    return render(
        request,
        "ledger/account.html",
        {
            "account": account,
            "ledger": scale,
            "flags": selectors.flags_display(account.flags, account=True),
            "created_at": selectors.ns_to_datetime(account.timestamp),
            "balances": {
                "debits_posted": amount_display(account.debits_posted, digits),
                "credits_posted": amount_display(account.credits_posted, digits),
                "debits_pending": amount_display(account.debits_pending, digits),
                "credits_pending": amount_display(account.credits_pending, digits),
            },
            "transfers": [
                {
                    "t": t,
                    "amount": amount_display(t.amount, digits),
                    "side": _("débito") if t.debit_account_id == number else _("crédito"),
                    "other": t.credit_account_id
                    if t.debit_account_id == number
                    else (t.debit_account_id),
                    "flags": selectors.flags_display(t.flags),
                    "at": selectors.ns_to_datetime(t.timestamp),
                }
                for t in page.transfers
            ],
            "next_after": page.next_after,
        },
    )


def journal(request: HttpRequest) -> HttpResponse:
    try:
        after = _after(request)
    except BadParameter as exc:
        return _bad(request, exc)
    page = selectors.journal_page(after=after, limit=PAGE)
    scales = _scales()
    return render(
        request,
        "ledger/journal.html",
        {
            "entries": [
                {
                    "t": e.transfer,
                    "hash": e.hash,
                    "amount": amount_display(
                        e.transfer.amount,
                        scales[e.transfer.ledger].scale if e.transfer.ledger in scales else 0,
                    ),
                    "flags": selectors.flags_display(e.transfer.flags),
                    "at": selectors.ns_to_datetime(e.transfer.timestamp),
                }
                for e in page.entries
            ],
            "next_after": page.next_after,
            "head": selectors.ledger_head(),
        },
    )


def verify(request: HttpRequest) -> HttpResponse:
    report = selectors.ledger_verify()
    return render(
        request,
        "ledger/verify.html",
        {"report": report, "ledgers": sorted(report.ledgers.items())},
    )
