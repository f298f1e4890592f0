"""The values written into a quote sheet's named ranges (pure: no I/O)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from backend.integrations.workspace_schema import (
    QUOTE_LINE_COLUMNS,
    QUOTE_LINE_ROWS,
    QUOTE_TOTAL_ROWS,
)


@dataclass(frozen=True)
class SheetLine:
    label: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    total_ht: Decimal


@dataclass(frozen=True)
class QuoteSheetContent:
    """Everything the quote template shows, in display-ready values."""

    reference: str
    issued_on: date
    client_name: str
    client_email: str
    client_phone: str
    client_address: str
    event_name: str
    event_date: str
    event_place: str
    guests: int | None
    lines: list[SheetLine]
    total_ht: Decimal
    vat_by_rate: dict[str, Decimal]
    total_ttc: Decimal


def _number(value: Decimal) -> float | int:
    """Send amounts as JSON numbers: Sheets parses strings with the sheet's locale."""
    return int(value) if value == value.to_integral_value() else float(value)


def _rate_label(rate: str) -> str:
    return f"TVA {Decimal(rate).normalize():f} %".replace(".", ",")


def line_rows(content: QuoteSheetContent) -> list[list[Any]]:
    """Return exactly QUOTE_LINE_ROWS rows, blank-padded so a reused sheet has no leftovers."""
    rows: list[list[Any]] = [
        [
            line.label,
            _number(line.quantity),
            _number(line.unit_price),
            _number(line.vat_rate),
            _number(line.total_ht),
        ]
        for line in content.lines
    ]
    if len(rows) > QUOTE_LINE_ROWS:
        hidden = len(rows) - (QUOTE_LINE_ROWS - 1)
        rows = rows[: QUOTE_LINE_ROWS - 1]
        rows.append([f"… {hidden} autres lignes : voir la prestation dans Notion", "", "", "", ""])
    blank = [""] * len(QUOTE_LINE_COLUMNS)
    return rows + [list(blank) for _ in range(QUOTE_LINE_ROWS - len(rows))]


def total_rows(content: QuoteSheetContent) -> list[list[Any]]:
    """Return (label, amount) rows: total excl. VAT, each VAT rate, total incl. VAT."""
    rows: list[list[Any]] = [["Total HT", _number(content.total_ht)]]
    for rate in sorted(content.vat_by_rate, key=Decimal):
        rows.append([_rate_label(rate), _number(content.vat_by_rate[rate])])
    rows.append(["Total TTC", _number(content.total_ttc)])
    rows = rows[:QUOTE_TOTAL_ROWS]
    return rows + [["", ""] for _ in range(QUOTE_TOTAL_ROWS - len(rows))]


def value_ranges(content: QuoteSheetContent) -> list[dict[str, Any]]:
    """Return the `data` of a values.batchUpdate request, addressed by named range."""
    single = {
        "devis_reference": content.reference,
        "devis_date": content.issued_on.strftime("%d/%m/%Y"),
        "client_nom": content.client_name,
        "client_email": content.client_email,
        "client_telephone": content.client_phone,
        "client_adresse": content.client_address,
        "evenement_nom": content.event_name,
        "evenement_date": content.event_date,
        "evenement_lieu": content.event_place,
        "evenement_convives": content.guests if content.guests is not None else "à préciser",
    }
    data = [{"range": name, "values": [[value]]} for name, value in single.items()]
    data.append({"range": "devis_lignes", "values": line_rows(content)})
    data.append({"range": "devis_totaux", "values": total_rows(content)})
    return data
