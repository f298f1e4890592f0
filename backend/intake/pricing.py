"""Quote pricing: one line per requested catalog item, totals excluding VAT and by VAT rate.

Quantities by unit:
- per_guest: the number of guests.
- per_item: the quantity written with the option ("x 4"), else 1.
- per_hour: staff × event hours, with one staff member per `guests_per_server` guests,
  rounded up and at least 1.
- flat: 1.

Each line's total is rounded half-up to the cent. VAT is computed per rate on the sum
of the lines at that rate, then rounded half-up. When the guest count is unknown, the
per_guest and per_hour lines are kept with quantity 0 and flagged, so that staff see
what the client asked for and complete it.
"""

import math
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from backend.intake.catalog import Catalog, CatalogItem, Unit
from backend.intake.inquiry import Inquiry, RequestedOption
from backend.intake.problems import Problem

CENT = Decimal("0.01")


class QuoteLine(BaseModel):
    """One priced line of a quote, with amounts in euros excluding VAT."""

    line_no: int  # from 1, in the order the client listed the options
    item_id: str
    label: str
    unit: Unit
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal  # percent
    total_ht: Decimal


class Quote(BaseModel):
    """A priced quote with its totals, and the problems found while pricing it."""

    lines: list[QuoteLine] = Field(default_factory=list)
    total_ht: Decimal = Decimal("0.00")
    # VAT amount per rate, keyed by the rate as the catalog writes it ("10.0").
    vat_by_rate: dict[str, Decimal] = Field(default_factory=dict)
    total_ttc: Decimal = Decimal("0.00")
    problems: list[Problem] = Field(default_factory=list)


def price_quote(inquiry: Inquiry, catalog: Catalog, *, guests_per_server: int = 25) -> Quote:
    """Price the options of `inquiry` against `catalog`.

    Problems come in this order: the options' own problems in the order typed (not in
    the catalog, listed twice, matched loosely, quantity ignored), then each line's
    problems (below the item's minimum guests, guests unknown, quantity 0).
    """
    if guests_per_server < 1:
        raise ValueError(f"guests_per_server must be at least 1, got {guests_per_server}")
    option_problems: list[Problem] = []
    line_problems: list[Problem] = []
    lines: list[QuoteLine] = []
    if not inquiry.options:
        option_problems.append(_problem("options_missing", "no options chosen: the quote is empty"))
    priced: dict[str, RequestedOption] = {}
    for option in inquiry.options:
        item = _catalog_item(catalog, option.item_id)
        if item is None:
            option_problems.append(
                _problem("option_unknown", f"option not in catalog: {option.text}")
            )
            continue
        if item.id in priced:
            message = (
                f'option listed twice: "{option.text}" repeats "{priced[item.id].text}" '
                f"({item.label}), priced once"
            )
            option_problems.append(_problem("option_duplicate", message))
            continue
        priced[item.id] = option
        option_problems.extend(_option_problems(option, item))
        quantity, problems = _line_quantity(item, option, inquiry, guests_per_server)
        line_problems.extend(problems)
        lines.append(_line(len(lines) + 1, item, quantity))
    return _with_totals(lines, option_problems + line_problems)


def _catalog_item(catalog: Catalog, item_id: str | None) -> CatalogItem | None:
    # An id the catalog no longer has (edited since matching) counts as not in catalog.
    if item_id is None:
        return None
    try:
        return catalog.get(item_id)
    except KeyError:
        return None


def _option_problems(option: RequestedOption, item: CatalogItem) -> list[Problem]:
    problems = []
    if option.match == "label_words":
        message = f'option "{option.text}" read as {item.label}: check nothing else was requested'
        problems.append(_problem("option_loose_match", message))
    if option.quantity is not None and item.unit != "per_item":
        message = (
            f'quantity {option.quantity} in "{option.text}" ignored: '
            f"{item.label} is priced {_UNIT_WORDS[item.unit]}"
        )
        problems.append(_problem("option_quantity_ignored", message))
    return problems


_UNIT_WORDS = {
    "per_guest": "per guest",
    "per_item": "per item",
    "per_hour": "per staff hour",
    "flat": "as a flat fee",
}


def staff_count(guests: int, guests_per_server: int = 25) -> int:
    """Return the staff needed for `guests`: one per `guests_per_server`, at least 1."""
    return max(1, math.ceil(guests / guests_per_server))


def _line_quantity(
    item: CatalogItem, option: RequestedOption, inquiry: Inquiry, guests_per_server: int
) -> tuple[Decimal, list[Problem]]:
    if item.unit == "flat":
        return Decimal(1), []
    if item.unit == "per_item":
        quantity = 1 if option.quantity is None else option.quantity
        if quantity == 0:
            return Decimal(0), [_problem("line_quantity_zero", f"{item.label}: quantity 0 asked")]
        return Decimal(quantity), []
    if inquiry.guests is None:
        message = f"{item.label}: guests unknown, line priced at 0"
        return Decimal(0), [_problem("line_guests_unknown", message)]
    problems = []
    if item.min_guests is not None and inquiry.guests < item.min_guests:
        message = f"{item.label}: minimum {item.min_guests} guests, asked for {inquiry.guests}"
        problems.append(_problem("line_below_min_guests", message))
    if item.unit == "per_guest":
        return Decimal(inquiry.guests), problems
    staff = staff_count(inquiry.guests, guests_per_server)
    return _plain(staff * inquiry.hours), problems


def _plain(quantity: Decimal) -> Decimal:
    """Drop trailing zeros without an exponent: 20.0 → 20, 2.50 → 2.5."""
    if quantity == quantity.to_integral_value():
        return quantity.quantize(Decimal(1))
    return quantity.normalize()


def _line(line_no: int, item: CatalogItem, quantity: Decimal) -> QuoteLine:
    return QuoteLine(
        line_no=line_no,
        item_id=item.id,
        label=item.label,
        unit=item.unit,
        quantity=quantity,
        unit_price=item.unit_price,
        vat_rate=item.vat_rate,
        total_ht=(item.unit_price * quantity).quantize(CENT, rounding=ROUND_HALF_UP),
    )


def _with_totals(lines: list[QuoteLine], problems: list[Problem]) -> Quote:
    total_ht = sum((line.total_ht for line in lines), Decimal("0.00"))
    base_by_rate: dict[Decimal, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in lines:
        base_by_rate[line.vat_rate] += line.total_ht
    vat_by_rate = {
        str(rate): (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        for rate, base in sorted(base_by_rate.items())
    }
    total_vat = sum(vat_by_rate.values(), Decimal("0.00"))
    return Quote(
        lines=lines,
        total_ht=total_ht.quantize(CENT),
        vat_by_rate=vat_by_rate,
        total_ttc=(total_ht + total_vat).quantize(CENT),
        problems=problems,
    )


def _problem(code: str, message: str) -> Problem:
    return Problem(code=code, message=message, field="options")
