"""Payment files of a settlement batch, in plain Python. Formats are pluggable because banks
differ: each is a function from a `PaymentBatch` to bytes, registered in FORMATS under its name
(`register_format`). Shipped: "csv" and "pain.001.001.03" (ISO 20022 customer credit transfer
initiation; each payment's EndToEndId is the ledger transfer id of its settlement)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

PAIN_001_001_03 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$")
BIC = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")


@dataclass(frozen=True)
class Payment:
    end_to_end_id: str  # the ledger transfer id, at most 35 digits
    creditor_name: str
    creditor_account: str
    creditor_bic: str
    amount_minor: int
    remittance: str


@dataclass(frozen=True)
class PaymentBatch:
    message_id: str
    created_at: datetime
    execution_date: date
    currency: str
    debtor_name: str
    debtor_account: str
    debtor_bic: str
    payments: tuple[Payment, ...]

    @property
    def total_minor(self) -> int:
        return sum(p.amount_minor for p in self.payments)


def amount_text(minor: int, *, scale: int = 2) -> str:
    """Minor units as the decimal text banks read (12345 -> "123.45")."""
    assert minor >= 0
    return f"{Decimal(minor).scaleb(-scale):.{scale}f}"


def write_csv(batch: PaymentBatch) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["end_to_end_id", "creditor", "account", "bic", "amount", "currency", "remittance"]
    )
    for p in batch.payments:
        writer.writerow(
            [
                p.end_to_end_id,
                p.creditor_name,
                p.creditor_account,
                p.creditor_bic,
                amount_text(p.amount_minor),
                batch.currency,
                p.remittance,
            ]
        )
    return out.getvalue().encode("utf-8")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _account(parent: ET.Element, tag: str, number: str) -> None:
    ident = _sub(_sub(parent, tag), "Id")
    if IBAN.match(number):
        _sub(ident, "IBAN", number)
    else:
        # Accounts without IBAN (Ecuador and most of the Americas) go as "other" identifiers.
        _sub(_sub(ident, "Othr"), "Id", number)


def _agent(parent: ET.Element, tag: str, bic: str) -> None:
    institution = _sub(_sub(parent, tag), "FinInstnId")
    if BIC.match(bic):
        _sub(institution, "BIC", bic)
    else:
        _sub(_sub(institution, "Othr"), "Id", "NOTPROVIDED")


def write_pain_001_001_03(batch: PaymentBatch) -> bytes:
    ET.register_namespace("", PAIN_001_001_03)
    ns = f"{{{PAIN_001_001_03}}}"
    document = ET.Element(f"{ns}Document")
    root = _sub(document, "CstmrCdtTrfInitn")
    count, total = str(len(batch.payments)), amount_text(batch.total_minor)
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", batch.message_id[:35])
    _sub(header, "CreDtTm", batch.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _sub(_sub(header, "InitgPty"), "Nm", batch.debtor_name[:140])
    info = _sub(root, "PmtInf")
    _sub(info, "PmtInfId", batch.message_id[:35])
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", count)
    _sub(info, "CtrlSum", total)
    _sub(info, "ReqdExctnDt", batch.execution_date.isoformat())
    _sub(_sub(info, "Dbtr"), "Nm", batch.debtor_name[:140])
    _account(info, "DbtrAcct", batch.debtor_account)
    _agent(info, "DbtrAgt", batch.debtor_bic)
    for p in batch.payments:
        tx = _sub(info, "CdtTrfTxInf")
        _sub(_sub(tx, "PmtId"), "EndToEndId", p.end_to_end_id)
        _sub(_sub(tx, "Amt"), "InstdAmt", amount_text(p.amount_minor), Ccy=batch.currency)
        if BIC.match(p.creditor_bic):
            _agent(tx, "CdtrAgt", p.creditor_bic)
        _sub(_sub(tx, "Cdtr"), "Nm", p.creditor_name[:140])
        _account(tx, "CdtrAcct", p.creditor_account)
        _sub(_sub(tx, "RmtInf"), "Ustrd", p.remittance[:140])
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)


Writer = Callable[[PaymentBatch], bytes]
FORMATS: dict[str, tuple[str, Writer]] = {
    "csv": ("csv", write_csv),
    "pain.001.001.03": ("xml", write_pain_001_001_03),
}


def register_format(name: str, extension: str, writer: Writer) -> None:
    """Adds a bank's format (e.g. a national bank's fixed-width file)."""
    FORMATS[name] = (extension, writer)
