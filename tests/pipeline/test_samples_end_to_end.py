"""Each sample inquiry, run through the whole pipeline, matches its expected file."""

import json

import pytest

from .helpers import INQUIRIES, run_payload, sample

SAMPLES = sorted(
    path.name.removesuffix(".expected.json") for path in INQUIRIES.glob("*.expected.json")
)


@pytest.mark.parametrize("name", SAMPLES)
async def test_sample_result_matches_expected(runtime, emulator, name):
    expected = json.loads((INQUIRIES / f"{name}.expected.json").read_text(encoding="utf-8"))

    result = await run_payload(runtime, sample(name))

    assert result["status"] == "succeeded"
    assert result["prestation"]["name"] == expected["prestation_name"]
    assert result["prestation"]["status"] == expected.get("status", "Nouvelle demande")
    assert result["problems"] == expected["problems"]
    assert result["event"]["start"] == expected["event"]["start"]
    assert result["event"]["end"] == expected["event"]["end"]
    assert result["event"]["all_day"] is expected["event"]["all_day"]
    quote = result["quote"]
    assert quote["total_ht"] == expected["quote"]["total_ht"]
    assert quote["vat_by_rate"] == expected["quote"]["vat_by_rate"]
    assert quote["total_ttc"] == expected["quote"]["total_ttc"]
    assert [
        (line["item_id"], line["quantity"], line["unit_price"], line["total_ht"])
        for line in quote["lines"]
    ] == [
        (line["id"], line["quantity"], line["unit_price"], line["total_ht"])
        for line in expected["quote"]["lines"]
    ]
    [event] = emulator.store.calendar_events()
    start_key = "date" if expected["event"]["all_day"] else "dateTime"
    assert event["start"][start_key] == expected["event"]["start"]
