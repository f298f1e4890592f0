import json
from decimal import Decimal
from pathlib import Path

import pytest

from backend.config import PACKAGE_DIR
from backend.intake.catalog import Catalog
from backend.intake.errors import CatalogError, IntakeError

from .catalogs import catalog_of, item

CATALOG_PATH = PACKAGE_DIR / "data" / "catalog.json"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(CATALOG_PATH)


def test_load_reads_items_and_settings(catalog: Catalog) -> None:
    cocktail = catalog.get("cocktail-12")
    assert len(catalog.items) == 16
    assert cocktail.label == "Cocktail dînatoire 12 pièces"
    assert cocktail.unit == "per_guest"
    assert cocktail.unit_price == Decimal("24.00")
    assert str(cocktail.vat_rate) == "10.0"
    assert cocktail.min_guests == 20
    assert catalog.get("buffet-desserts").min_guests is None
    assert catalog.default_event_hours == Decimal(5)
    assert catalog.event_types[0] == "Mariage"
    assert "Autre" in catalog.event_types


def test_load_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    with pytest.raises(CatalogError, match="catalog file not found: .*nowhere.json"):
        Catalog.load(missing)


def test_load_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text('{"items": [', encoding="utf-8")
    with pytest.raises(CatalogError, match="is not valid JSON: Expecting value: line 1"):
        Catalog.load(path)


def test_catalog_error_is_intake_error() -> None:
    assert issubclass(CatalogError, IntakeError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "per_person"}, '"unit" must be one of per_guest, per_item, per_hour, flat'),
        ({"unit_price": "abc"}, '"unit_price" must be a decimal number, got "abc"'),
        ({"unit_price": "-1"}, '"unit_price" must not be negative, got -1'),
        ({"unit_price": None}, '"unit_price" must be a decimal number, got null'),
        ({"vat_rate": "120"}, '"vat_rate" must be a percentage from 0 to 100, got 120'),
        ({"label": ""}, '"label" must be a non-empty string'),
        ({"aliases": "softs"}, '"aliases" must be a list of strings'),
        ({"min_guests": 0}, '"min_guests" must be a positive integer, got 0'),
        ({"min_guests": "20"}, '"min_guests" must be a positive integer, got "20"'),
    ],
)
def test_load_names_invalid_item_and_field(tmp_path: Path, change: dict, message: str) -> None:
    data = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    data["items"][1].update(change)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CatalogError) as raised:
        Catalog.load(path)
    assert 'catalog item "cocktail-18" (#2)' in str(raised.value)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_from_dict_rejects_duplicate_ids() -> None:
    with pytest.raises(CatalogError, match='two catalog items have the id "a"'):
        catalog_of(item("a", "flat", "1"), item("a", "flat", "2"))


def test_from_dict_rejects_shared_alias() -> None:
    first = item("a", "flat", "1", aliases=["Vin rouge"])
    second = item("b", "flat", "1", aliases=["vin-rouge"])
    with pytest.raises(CatalogError, match='"a" and "b" both match "vin-rouge"'):
        catalog_of(first, second)


def test_from_dict_requires_fallback_event_type() -> None:
    data = {"items": [], "event_types": ["Mariage"], "default_event_hours": 5}
    with pytest.raises(CatalogError, match='"event_types" must include "Autre"'):
        Catalog.from_dict(data)


def test_from_dict_rejects_non_positive_hours() -> None:
    with pytest.raises(CatalogError, match='"default_event_hours" must be positive, got 0'):
        catalog_of(default_event_hours=0)


def test_from_dict_pads_price_and_rate() -> None:
    catalog = catalog_of(item("a", "flat", "24", vat_rate="20"))
    assert str(catalog.get("a").unit_price) == "24.00"
    assert str(catalog.get("a").vat_rate) == "20.0"


@pytest.mark.parametrize(
    ("text", "item_id", "quantity", "method"),
    [
        ("Cocktail dînatoire 12 pièces", "cocktail-12", None, "exact"),
        ("COCKTAIL DINATOIRE 12 PIECES", "cocktail-12", None, "exact"),
        ("  cocktail   dînatoire 12 pièces ", "cocktail-12", None, "exact"),
        ("cocktail 12p", "cocktail-12", None, "exact"),
        ("Buffet chaud & froid", "buffet-chaud-froid", None, "exact"),
        ("buffet chaud/froid", "buffet-chaud-froid", None, "exact"),
        ("bar à desserts", "buffet-desserts", None, "exact"),
        ("Softs", "softs", None, "exact"),
        ("plateau repas", "plateaux-repas", None, "exact"),
        ("Serveur / maître d'hôtel", "serveur", None, "exact"),
        ("maître d’hôtel", "serveur", None, "exact"),
        ("Forfait vins (1/2 bouteille par personne)", "vins", None, "exact"),
        ("MANGE DEBOUT", "mange-debout", None, "exact"),
        ("Location mange-debout x 4", "mange-debout", 4, "exact"),
        ("Location mange-debout x4", "mange-debout", 4, "exact"),
        ("mange-debout X 12", "mange-debout", 12, "exact"),
        ("mange-debout × 3", "mange-debout", 3, "exact"),
        ("4 x mange-debout", "mange-debout", 4, "exact"),
        ("4x mange-debout", "mange-debout", 4, "exact"),
        ("mange-debout (4)", "mange-debout", 4, "exact"),
        ("mange-debout : 6", "mange-debout", 6, "exact"),
        ("6 tables hautes", "mange-debout", 6, "exact"),
        ("serveur", "serveur", None, "plural"),
        ("Coupes de champagne", "champagne", None, "plural"),
        ("Pièces montées", "piece-montee", None, "plural"),
        ("Brunch pour toute la famille", "brunch", None, "label_words"),
        ("Buffet chaud et froid, desserts maison", "buffet-chaud-froid", None, "label_words"),
    ],
)
def test_match_finds_item(
    catalog: Catalog, text: str, item_id: str, quantity: int | None, method: str
) -> None:
    match = catalog.match(text)
    assert match.item_id == item_id
    assert match.quantity == quantity
    assert match.method == method


@pytest.mark.parametrize(
    "text",
    ["DJ et sonorisation", "Animation magicien", "x4", "", "buffet", "cocktail", "12 pièces"],
)
def test_match_finds_nothing(catalog: Catalog, text: str) -> None:
    match = catalog.match(text)
    assert match.item is None
    assert match.item_id is None
    assert match.method is None


def test_match_keeps_text_as_typed(catalog: Catalog) -> None:
    assert catalog.match("  DJ   et sonorisation ").text == "DJ et sonorisation"


def test_match_label_words_tie_finds_nothing() -> None:
    catalog = catalog_of(
        item("rouge", "flat", "1", label="Vin rouge"),
        item("blanc", "flat", "1", label="Vin blanc"),
    )
    assert catalog.match("vin rouge et vin blanc").item is None
    assert catalog.match("un bon vin rouge").item_id == "rouge"


def test_match_drops_ambiguous_plural_keys() -> None:
    catalog = catalog_of(
        item("one", "flat", "1", label="Verre"),
        item("many", "flat", "1", label="Verres"),
    )
    assert catalog.match("verre").item_id == "one"
    assert catalog.match("verres").item_id == "many"
    assert catalog.match("VERRES").method == "exact"


@pytest.mark.parametrize(
    ("text", "event_type"),
    [
        ("Mariage", "Mariage"),
        ("mariage", "Mariage"),
        ("MARIAGES", "Mariage"),
        ("Seminaire", "Séminaire"),
        ("soirée d'entreprise", "Soirée d'entreprise"),
        ("Soiree d entreprise", "Soirée d'entreprise"),
        ("baptême", "Baptême"),
        ("Bar mitzvah", None),
        ("", None),
    ],
)
def test_event_type_for(catalog: Catalog, text: str, event_type: str | None) -> None:
    assert catalog.event_type_for(text) == event_type
