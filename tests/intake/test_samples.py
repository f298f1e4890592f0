"""Each sample inquiry in tests/data/inquiries gives exactly its NAME.expected.json."""

import json
from pathlib import Path

import pytest

from backend.config import PACKAGE_DIR
from backend.intake.catalog import Catalog
from backend.intake.validation import STATUS_NEW, STATUS_TO_REVIEW, validate_inquiry

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "inquiries"
SAMPLE_NAMES = sorted(
    path.name.removesuffix(".json")
    for path in SAMPLES_DIR.glob("*.json")
    if not path.name.endswith(".expected.json")
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(PACKAGE_DIR / "data" / "catalog.json")


def _load(name: str) -> tuple[dict, dict]:
    payload = json.loads((SAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    expected = json.loads((SAMPLES_DIR / f"{name}.expected.json").read_text(encoding="utf-8"))
    return payload, expected


def test_samples_found() -> None:
    assert len(SAMPLE_NAMES) >= 5


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_matches_expected(name: str, catalog: Catalog) -> None:
    payload, expected = _load(name)
    result = validate_inquiry(payload, catalog).to_dict()
    inquiry = result["inquiry"]

    assert inquiry["guests"] == expected["guests"]
    assert inquiry["guests_is_estimate"] == expected.get("guests_is_estimate", False)
    for field in ("email", "client_name"):
        if field in expected:
            assert inquiry[field] == expected[field]

    matched = [
        {
            "id": option["item_id"],
            **({"quantity": option["quantity"]} if option["quantity"] else {}),
        }
        for option in inquiry["options"]
        if option["item_id"] is not None
    ]
    assert matched == expected["options"]

    assert result["event"] == expected["event"]
    assert result["prestation_name"] == expected["prestation_name"]
    assert [problem["message"] for problem in result["problems"]] == expected["problems"]
    if "status" in expected:
        assert result["status"] == expected["status"] == STATUS_TO_REVIEW
        assert result["needs_review"] is True
    else:
        assert result["status"] == STATUS_NEW
        assert result["needs_review"] is False


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_sample_quote_matches_expected(name: str, catalog: Catalog) -> None:
    payload, expected = _load(name)
    quote = validate_inquiry(payload, catalog).to_dict()["quote"]
    expected_quote = expected["quote"]

    lines = [
        {
            "id": line["item_id"],
            "quantity": line["quantity"],
            "unit_price": line["unit_price"],
            "total_ht": line["total_ht"],
            "vat_rate": line["vat_rate"],
        }
        for line in quote["lines"]
    ]
    assert lines == expected_quote["lines"]
    assert [line["line_no"] for line in quote["lines"]] == list(range(1, len(lines) + 1))
    assert quote["total_ht"] == expected_quote["total_ht"]
    assert quote["vat_by_rate"] == expected_quote["vat_by_rate"]
    assert quote["total_ttc"] == expected_quote["total_ttc"]
