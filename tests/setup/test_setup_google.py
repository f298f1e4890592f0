"""`deme setup google` against the emulator: template layout, idempotence, pool, quota."""

import pytest

from backend.emulator.google_drive import set_drive_quota
from backend.errors import ConfigurationError
from backend.integrations.workspace_schema import QUOTE_NAMED_RANGES
from backend.setup.google import open_google_gateway, setup_google
from backend.setup.quote_template import TEMPLATE_NAME

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def google(settings):
    return open_google_gateway(settings)


def _euro_ranges(spreadsheet: dict) -> list[dict]:
    ranges = []
    for item in spreadsheet.get("formats", []):
        cell = item.get("repeatCell", {}).get("cell", {}).get("userEnteredFormat", {})
        if cell.get("numberFormat", {}).get("pattern", "").endswith('"€"'):
            ranges.append(item["repeatCell"]["range"])
    return ranges


async def test_setup_creates_french_quote_template(google, settings, db, emulator):
    result = await setup_google(google, settings, db)

    spreadsheet = emulator.store.get("spreadsheet", result.template_spreadsheet_id)
    values = emulator.store.sheet_values(result.template_spreadsheet_id)
    assert result.template_created
    assert spreadsheet["title"] == TEMPLATE_NAME
    assert spreadsheet["locale"] == "fr_FR"
    assert [sheet["title"] for sheet in spreadsheet["sheets"]] == ["Devis"]
    named = sorted(item["name"] for item in spreadsheet["namedRanges"])
    assert named == sorted(QUOTE_NAMED_RANGES)
    assert values[0] == [settings.business_name]
    assert values[2][0] == "DEVIS"
    assert values[10] == ["Désignation", "Quantité", "Prix unitaire HT", "TVA %", "Total HT"]
    euro_columns = {
        (item["startColumnIndex"], item["endColumnIndex"]) for item in _euro_ranges(spreadsheet)
    }
    assert euro_columns == {(2, 3), (4, 5)}


async def test_setup_fills_pool_and_shares_nothing(google, settings, db, emulator):
    result = await setup_google(google, settings, db)

    assert result.pool.added == settings.template_pool_target
    assert result.pool.available == settings.template_pool_target
    assert emulator.store.count("drive_permission") == 0
    assert not [path for path in emulator.stats.calls() if "permissions" in path]


async def test_setup_twice_creates_nothing_new(google, settings, db, emulator):
    first = await setup_google(google, settings, db)
    files_before = emulator.store.count("drive_file")

    second = await setup_google(google, settings, db)

    assert second.template_spreadsheet_id == first.template_spreadsheet_id
    assert second.folder_id == first.folder_id
    assert not second.template_created
    assert second.pool.added == 0
    assert emulator.store.count("drive_file") == files_before


async def test_setup_restores_deleted_named_range(google, settings, db, emulator):
    first = await setup_google(google, settings, db, fill_pool=False)
    spreadsheet = emulator.store.get("spreadsheet", first.template_spreadsheet_id)
    spreadsheet["namedRanges"] = [
        item for item in spreadsheet["namedRanges"] if item["name"] != "devis_totaux"
    ]
    emulator.store.put("spreadsheet", first.template_spreadsheet_id, spreadsheet)

    second = await setup_google(google, settings, db, fill_pool=False)

    assert second.named_ranges_added == ["devis_totaux"]


async def test_full_drive_is_configuration_error(google, settings, db, emulator):
    set_drive_quota(emulator.store, emulator.store.count("drive_file") + 3)

    with pytest.raises(ConfigurationError) as raised:
        await setup_google(google, settings, db)

    message = str(raised.value)
    assert "storageQuotaExceeded" in message
    assert "GOOGLE_POOL_FOLDER_ID" in message
    assert "shared drive" in message
