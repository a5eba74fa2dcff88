"""The ledger API at /api/v1/ledger/. Writes (create accounts, create transfers) need an operator
or administrator token; reads are public, like the auditor's pages. Ids travel as strings of
decimal digits or UUIDs; amounts as integers in minor units."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Field, StrictInt

from minga.accounts.auth import TokenAuth
from minga.apierrors import FieldError
from minga.core.roles import Role

from . import selectors, services
from .domain import (
    ACCOUNT_FLAG_NAMES,
    AMOUNT_MAX,
    BATCH_MAX,
    TRANSFER_FLAG_NAMES,
    U16_MAX,
    U32_MAX,
    USER_DATA_64_MAX,
    AccountEvent,
    AccountState,
    InvalidEvent,
    InvalidId,
    StoredTransfer,
    TransferEvent,
    parse_u128,
)

router = Router(tags=["ledger"])
operator = TokenAuth([Role.OPERATOR, Role.ADMINISTRATOR])


def _id(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError("must be a string of decimal digits or a UUID")
    try:
        return parse_u128(value)
    except InvalidId as exc:
        raise ValueError(str(exc)) from None


def _flags(names: dict[str, Any]) -> Any:
    def parse(value: object) -> int:
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            raise ValueError("must be a list of flag names")
        bits = 0
        for name in value:
            if name not in names:
                raise ValueError(f"unknown flag {name!r}; known: {', '.join(names)}")
            bits |= int(names[name])
        return bits

    return parse


Id128 = Annotated[int, BeforeValidator(_id)]
TransferFlagList = Annotated[int, BeforeValidator(_flags(TRANSFER_FLAG_NAMES))]
AccountFlagList = Annotated[int, BeforeValidator(_flags(ACCOUNT_FLAG_NAMES))]


class AccountIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: Id128
    ledger: StrictInt = Field(ge=0, le=U32_MAX)
    code: StrictInt = Field(ge=0, le=U16_MAX)
    flags: AccountFlagList = 0
    user_data_128: Id128 = 0
    user_data_64: StrictInt = Field(0, ge=0, le=USER_DATA_64_MAX)
    user_data_32: StrictInt = Field(0, ge=0, le=U32_MAX)


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: Id128
    debit_account_id: Id128 = 0
    credit_account_id: Id128 = 0
    amount: StrictInt = Field(0, ge=0, le=AMOUNT_MAX)
    ledger: StrictInt = Field(0, ge=0, le=U32_MAX)
    code: StrictInt = Field(0, ge=0, le=U16_MAX)
    flags: TransferFlagList = 0
    pending_id: Id128 = 0
    timeout: StrictInt = Field(0, ge=0, le=U32_MAX)
    user_data_128: Id128 = 0
    user_data_64: StrictInt = Field(0, ge=0, le=USER_DATA_64_MAX)
    user_data_32: StrictInt = Field(0, ge=0, le=U32_MAX)


class ResultOut(Schema):
    index: int
    result: str


class ErrorOut(Schema):
    message: str
    field: str


class AccountOut(Schema):
    id: str
    ledger: int
    code: int
    flags: list[str]
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    user_data_128: str
    user_data_64: int
    user_data_32: int
    timestamp: int


class TransferOut(Schema):
    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    ledger: int
    code: int
    flags: list[str]
    pending_id: str
    timeout: int
    user_data_128: str
    user_data_64: int
    user_data_32: int
    timestamp: int


class TransferPageOut(Schema):
    transfers: list[TransferOut]
    next_after: int | None


class BalancesOut(Schema):
    account_id: str
    timestamp: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


def _account_out(a: AccountState) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "ledger": a.ledger,
        "code": a.code,
        "flags": selectors.flags_display(a.flags, account=True),
        "debits_pending": a.debits_pending,
        "debits_posted": a.debits_posted,
        "credits_pending": a.credits_pending,
        "credits_posted": a.credits_posted,
        "user_data_128": str(a.user_data_128),
        "user_data_64": a.user_data_64,
        "user_data_32": a.user_data_32,
        "timestamp": a.timestamp,
    }


def _transfer_out(t: StoredTransfer) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "debit_account_id": str(t.debit_account_id),
        "credit_account_id": str(t.credit_account_id),
        "amount": t.amount,
        "ledger": t.ledger,
        "code": t.code,
        "flags": selectors.flags_display(t.flags),
        "pending_id": str(t.pending_id),
        "timeout": t.timeout,
        "user_data_128": str(t.user_data_128),
        "user_data_64": t.user_data_64,
        "user_data_32": t.user_data_32,
        "timestamp": t.timestamp,
    }


def _path_id(value: str, field: str) -> int:
    try:
        return parse_u128(value)
    except InvalidId as exc:
        raise FieldError(422, f"{field} {exc}", field) from None


def _check_size(items: list[Any]) -> None:
    if not items:
        raise FieldError(422, "a batch needs at least one item", "body")
    if len(items) > BATCH_MAX:
        raise FieldError(422, f"a batch holds at most {BATCH_MAX} items", "body")


@router.post(
    "/accounts",
    auth=operator,
    response={200: list[ResultOut], 422: ErrorOut},
    summary="Create accounts (create_accounts): one result per item",
)
def create_accounts(request: HttpRequest, payload: list[AccountIn]) -> Any:
    _check_size(payload)
    events = [AccountEvent(**item.model_dump()) for item in payload]
    try:
        results = services.accounts_create(events=events, actor=request.user, now=timezone.now())
    except InvalidEvent as exc:
        raise FieldError(422, str(exc), exc.field.replace("[", "").replace("]", "")) from None
    return [{"index": i, "result": str(r)} for i, r in enumerate(results)]


@router.post(
    "/transfers",
    auth=operator,
    response={200: list[ResultOut], 422: ErrorOut, 503: ErrorOut},
    summary="Create transfers (create_transfers): one result per item",
    description="503 (with Retry-After): concurrent writers kept changing what the batch read; "
    "nothing of it was applied and it may be sent again as it is (ids make it idempotent).",
)
def create_transfers(
    request: HttpRequest, payload: list[TransferIn], response: HttpResponse
) -> Any:
    _check_size(payload)
    events = [TransferEvent(**item.model_dump()) for item in payload]
    try:
        results = services.transfers_create(events=events, actor=request.user, now=timezone.now())
    except InvalidEvent as exc:
        raise FieldError(422, str(exc), exc.field.replace("[", "").replace("]", "")) from None
    except services.LedgerBusy as exc:
        response["Retry-After"] = "1"
        return Status(503, {"message": str(exc), "field": "body"})
    return [{"index": i, "result": str(r)} for i, r in enumerate(results)]


@router.get("/accounts/{account_id}", response={200: AccountOut, 404: ErrorOut, 422: ErrorOut})
def get_account(request: HttpRequest, account_id: str) -> Any:
    number = _path_id(account_id, "account_id")
    account = selectors.account_get(account_id=number)
    if account is None:
        raise FieldError(404, f"account {number} does not exist", "account_id")
    return _account_out(account)


class PageQuery(Schema):
    after: int = Field(0, ge=0, description="timestamp (ns) of the last transfer already seen")
    limit: int = Field(50, ge=1, le=1000)
    reverse: bool = False


@router.get(
    "/accounts/{account_id}/transfers",
    response={200: TransferPageOut, 404: ErrorOut, 422: ErrorOut},
    summary="An account's transfers in time order, a page at a time (pass next_after as after)",
)
def get_account_transfers(request: HttpRequest, account_id: str, query: Query[PageQuery]) -> Any:
    number = _path_id(account_id, "account_id")
    if selectors.account_get(account_id=number) is None:
        raise FieldError(404, f"account {number} does not exist", "account_id")
    page = selectors.account_transfers(
        account_id=number, after=query.after, limit=query.limit, reverse=query.reverse
    )
    return {
        "transfers": [_transfer_out(t) for t in page.transfers],
        "next_after": page.next_after,
    }


class AtQuery(Schema):
    timestamp: int = Field(ge=0, description="a point in time, in ns since 1970 (UTC)")


@router.get(
    "/accounts/{account_id}/balances",
    response={200: BalancesOut, 404: ErrorOut, 422: ErrorOut},
    summary="An account's four balances as they stood at a point in time",
)
def get_account_balances(request: HttpRequest, account_id: str, query: Query[AtQuery]) -> Any:
    number = _path_id(account_id, "account_id")
    if selectors.account_get(account_id=number) is None:
        raise FieldError(404, f"account {number} does not exist", "account_id")
    b = selectors.account_balances_at(account_id=number, timestamp=query.timestamp)
    return {
        "account_id": str(number),
        "timestamp": query.timestamp,
        "debits_pending": b.debits_pending,
        "debits_posted": b.debits_posted,
        "credits_pending": b.credits_pending,
        "credits_posted": b.credits_posted,
    }


@router.get("/transfers/{transfer_id}", response={200: TransferOut, 404: ErrorOut, 422: ErrorOut})
def get_transfer(request: HttpRequest, transfer_id: str) -> Any:
    number = _path_id(transfer_id, "transfer_id")
    found = selectors.transfer_get(transfer_id=number)
    if found is None:
        raise FieldError(404, f"transfer {number} does not exist", "transfer_id")
    return _transfer_out(found)
