"""Small catalogs built in memory for the intake tests."""

from typing import Any

from backend.intake.catalog import Catalog


def item(item_id: str, unit: str, unit_price: str, vat_rate: str = "10.0", **fields: Any) -> dict:
    """Return a catalog item as JSON data, labelled with its id unless `label` is given."""
    return {
        "id": item_id,
        "label": fields.pop("label", item_id),
        "aliases": fields.pop("aliases", []),
        "category": fields.pop("category", "food"),
        "unit": unit,
        "unit_price": unit_price,
        "vat_rate": vat_rate,
        **fields,
    }


def catalog_of(*items: dict, default_event_hours: int | str = 5) -> Catalog:
    """Build a catalog holding `items` and the usual event types."""
    return Catalog.from_dict(
        {
            "items": list(items),
            "event_types": ["Mariage", "Séminaire", "Autre"],
            "default_event_hours": default_event_hours,
        }
    )
