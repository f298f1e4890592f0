from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from backend.config import PACKAGE_DIR
from backend.intake.catalog import Catalog
from backend.intake.inquiry import Inquiry, RequestedOption
from backend.intake.pricing import price_quote, staff_count

from .catalogs import catalog_of, item


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(PACKAGE_DIR / "data" / "catalog.json")


def make_inquiry(
    catalog: Catalog, options: list[str], guests: int | None = 80, hours: str = "5"
) -> Inquiry:
    requested = []
    for text in options:
        match = catalog.match(text)
        requested.append(
            RequestedOption(
                text=match.text, item_id=match.item_id, quantity=match.quantity, match=match.method
            )
        )
    return Inquiry(
        submission_id="test-1",
        submitted_at=datetime(2027, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris")),
        client_name="Claire Martin",
        email="claire.martin@example.fr",
        phone=None,
        event_type="Mariage",
        event_date=date(2027, 6, 14),
        event_time=None,
        address=None,
        guests=guests,
        options=requested,
        hours=Decimal(hours),
    )


@pytest.mark.parametrize(
    ("guests", "staff"), [(1, 1), (24, 1), (25, 1), (26, 2), (50, 2), (51, 3), (80, 4)]
)
def test_staff_count(guests: int, staff: int) -> None:
    assert staff_count(guests) == staff


def test_staff_count_custom_ratio() -> None:
    assert staff_count(80, guests_per_server=20) == 4
    assert staff_count(81, guests_per_server=20) == 5


@pytest.mark.parametrize(("guests", "quantity"), [(25, "5"), (26, "10"), (80, "20")])
def test_per_hour_line(catalog: Catalog, guests: int, quantity: str) -> None:
    quote = price_quote(make_inquiry(catalog, ["serveur"], guests=guests), catalog)
    assert str(quote.lines[0].quantity) == quantity
    assert quote.lines[0].total_ht == Decimal(quantity) * Decimal("35.00")


def test_per_hour_line_fractional_hours(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, ["serveur"], guests=30, hours="4.5"), catalog)
    assert str(quote.lines[0].quantity) == "9"
    quote = price_quote(make_inquiry(catalog, ["serveur"], guests=20, hours="4.5"), catalog)
    assert str(quote.lines[0].quantity) == "4.5"
    assert str(quote.lines[0].total_ht) == "157.50"


def test_per_hour_line_guests_per_server(catalog: Catalog) -> None:
    inquiry = make_inquiry(catalog, ["serveur"], guests=80)
    quote = price_quote(inquiry, catalog, guests_per_server=10)
    assert str(quote.lines[0].quantity) == "40"


def test_per_item_flat_and_per_guest(catalog: Catalog) -> None:
    inquiry = make_inquiry(catalog, ["mange-debout x 3", "tables hautes", "livraison", "softs"])
    quote = price_quote(inquiry, catalog)
    assert [(line.item_id, str(line.quantity)) for line in quote.lines] == [
        ("mange-debout", "3"),
        ("livraison", "1"),
        ("softs", "80"),
    ]
    assert [line.line_no for line in quote.lines] == [1, 2, 3]
    assert quote.lines[0].label == "Location mange-debout"
    assert quote.lines[0].unit == "per_item"


def test_line_total_rounds_half_up() -> None:
    # 2.125 € rounds to 2.13 half-up, where banker's rounding gives 2.12.
    catalog = catalog_of(item("sauce", "per_item", "2.125"))
    quote = price_quote(make_inquiry(catalog, ["sauce"]), catalog)
    assert str(quote.lines[0].total_ht) == "2.13"
    assert str(quote.total_ht) == "2.13"


def test_vat_rounds_half_up() -> None:
    # 0.25 € at 10 % is 0.025 € of VAT: half-up gives 0.03, banker's rounding 0.02.
    catalog = catalog_of(item("bonbon", "per_item", "0.25"))
    quote = price_quote(make_inquiry(catalog, ["bonbon"]), catalog)
    assert quote.vat_by_rate == {"10.0": Decimal("0.03")}
    assert str(quote.total_ttc) == "0.28"


def test_vat_summed_per_rate_before_rounding() -> None:
    # Each line alone has 0.005 € of VAT. Rounded per line that would be 0.02 in all,
    # but the rate's base of 0.10 € gives 0.01.
    catalog = catalog_of(item("a", "per_item", "0.05"), item("b", "per_item", "0.05"))
    quote = price_quote(make_inquiry(catalog, ["a", "b"]), catalog)
    assert quote.vat_by_rate == {"10.0": Decimal("0.01")}
    assert str(quote.total_ht) == "0.10"
    assert str(quote.total_ttc) == "0.11"


def test_vat_by_rate_sorted_and_keyed_by_rate() -> None:
    catalog = catalog_of(
        item("vin", "per_item", "10.00", vat_rate="20"),
        item("pain", "per_item", "10.00", vat_rate="5.5"),
        item("plat", "per_item", "10.00", vat_rate="10.0"),
    )
    quote = price_quote(make_inquiry(catalog, ["vin", "pain", "plat"]), catalog)
    assert list(quote.vat_by_rate) == ["5.5", "10.0", "20.0"]
    assert quote.vat_by_rate["5.5"] == Decimal("0.55")
    assert quote.vat_by_rate["20.0"] == Decimal("2.00")
    assert str(quote.total_ttc) == "33.55"


def test_below_min_guests_still_priced(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, ["cocktail 12p", "desserts"], guests=12), catalog)
    assert str(quote.lines[0].total_ht) == "288.00"
    assert [problem.message for problem in quote.problems] == [
        "Cocktail dînatoire 12 pièces: minimum 20 guests, asked for 12"
    ]
    assert quote.problems[0].code == "line_below_min_guests"


def test_unknown_guests_prices_lines_at_zero(catalog: Catalog) -> None:
    inquiry = make_inquiry(catalog, ["softs", "serveur", "livraison"], guests=None)
    quote = price_quote(inquiry, catalog)
    assert [str(line.quantity) for line in quote.lines] == ["0", "0", "1"]
    assert [str(line.total_ht) for line in quote.lines] == ["0.00", "0.00", "60.00"]
    assert [problem.message for problem in quote.problems] == [
        "Forfait boissons sans alcool: guests unknown, line priced at 0",
        "Serveur / maître d'hôtel: guests unknown, line priced at 0",
    ]


def test_unknown_option_is_reported_as_typed(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, ["  DJ et sonorisation ", "Champagne"]), catalog)
    assert [line.item_id for line in quote.lines] == ["champagne"]
    assert [problem.message for problem in quote.problems] == [
        "option not in catalog: DJ et sonorisation"
    ]
    assert quote.problems[0].code == "option_unknown"


def test_duplicate_option_priced_once(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, ["Champagne", "coupe de champagne"]), catalog)
    assert [line.item_id for line in quote.lines] == ["champagne"]
    assert [problem.message for problem in quote.problems] == [
        'option listed twice: "coupe de champagne" repeats "Champagne" '
        "(Coupe de champagne), priced once"
    ]


def test_option_problems_before_line_problems(catalog: Catalog) -> None:
    inquiry = make_inquiry(catalog, ["cocktail 12p", "DJ", "Brunch pour tous"], guests=8)
    quote = price_quote(inquiry, catalog)
    assert [problem.code for problem in quote.problems] == [
        "option_unknown",
        "option_loose_match",
        "line_below_min_guests",
        "line_below_min_guests",
    ]
    assert quote.problems[1].message == (
        'option "Brunch pour tous" read as Brunch: check nothing else was requested'
    )


def test_quantity_ignored_outside_per_item(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, ["Champagne x 50"]), catalog)
    assert str(quote.lines[0].quantity) == "80"
    assert [problem.message for problem in quote.problems] == [
        'quantity 50 in "Champagne x 50" ignored: Coupe de champagne is priced per guest'
    ]


def test_per_item_quantity_zero(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, ["mange-debout x 0"]), catalog)
    assert str(quote.lines[0].quantity) == "0"
    assert [problem.code for problem in quote.problems] == ["line_quantity_zero"]


def test_no_options_gives_empty_quote(catalog: Catalog) -> None:
    quote = price_quote(make_inquiry(catalog, []), catalog)
    assert quote.lines == []
    assert str(quote.total_ht) == "0.00"
    assert quote.vat_by_rate == {}
    assert str(quote.total_ttc) == "0.00"
    assert [problem.code for problem in quote.problems] == ["options_missing"]


def test_item_missing_from_catalog_counts_as_unknown(catalog: Catalog) -> None:
    inquiry = make_inquiry(catalog, ["Champagne"])
    smaller = catalog_of(item("pain", "flat", "1"))
    quote = price_quote(inquiry, smaller)
    assert quote.lines == []
    assert [problem.message for problem in quote.problems] == ["option not in catalog: Champagne"]


def test_guests_per_server_must_be_positive(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="guests_per_server must be at least 1, got 0"):
        price_quote(make_inquiry(catalog, ["serveur"]), catalog, guests_per_server=0)
