"""Drive and Sheets routes through google-api-python-client over HTTP."""

import httplib2
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from backend.emulator import POOL_FOLDER_ID, TEMPLATE_SPREADSHEET_ID, RunningEmulator
from backend.integrations.workspace_schema import QUOTE_LINE_COLUMNS, QUOTE_NAMED_RANGES


@pytest.fixture(scope="module")
def drive(google):
    return google("drive", "v3")


@pytest.fixture(scope="module")
def sheets(google):
    return google("sheets", "v4")


@pytest.fixture
def quote_sheet(drive) -> str:
    copied = (
        drive.files()
        .copy(fileId=TEMPLATE_SPREADSHEET_ID, body={"name": "Devis – test"}, supportsAllDrives=True)
        .execute()
    )
    return copied["id"]


def test_template_layout(sheets, emulator: RunningEmulator):
    spreadsheet = sheets.spreadsheets().get(spreadsheetId=TEMPLATE_SPREADSHEET_ID).execute()
    header = (
        sheets.spreadsheets()
        .values()
        .get(spreadsheetId=TEMPLATE_SPREADSHEET_ID, range="Devis!A11:E11")
        .execute()
    )

    assert spreadsheet["sheets"][0]["properties"]["title"] == "Devis"
    assert spreadsheet["sheets"][0]["properties"]["sheetId"] == 0
    names = {item["name"] for item in spreadsheet["namedRanges"]}
    assert names == set(QUOTE_NAMED_RANGES)
    assert header["values"] == [list(QUOTE_LINE_COLUMNS)]
    csv_text = emulator.store.sheet_as_csv(TEMPLATE_SPREADSHEET_ID)
    assert csv_text.startswith("DEVIS\n")
    assert "Téléphone" in csv_text


def test_copy_keeps_named_ranges(drive, sheets, emulator: RunningEmulator):
    copied = (
        drive.files()
        .copy(
            fileId=TEMPLATE_SPREADSHEET_ID,
            body={"name": "Devis – Martin", "parents": [POOL_FOLDER_ID]},
        )
        .execute()
    )
    spreadsheet = sheets.spreadsheets().get(spreadsheetId=copied["id"]).execute()
    template = sheets.spreadsheets().get(spreadsheetId=TEMPLATE_SPREADSHEET_ID).execute()

    assert copied["id"] != TEMPLATE_SPREADSHEET_ID
    assert copied["name"] == "Devis – Martin"
    assert copied["mimeType"] == "application/vnd.google-apps.spreadsheet"
    assert copied["webViewLink"] == f"{emulator.url}/sheets/d/{copied['id']}/edit"
    assert spreadsheet["properties"]["title"] == "Devis – Martin"
    assert spreadsheet["namedRanges"] == template["namedRanges"]
    assert emulator.store.sheet_values(copied["id"]) == emulator.store.sheet_values(
        TEMPLATE_SPREADSHEET_ID
    )


def test_copy_unknown_file_404(drive):
    with pytest.raises(HttpError) as raised:
        drive.files().copy(fileId="1nope", body={"name": "x"}).execute()

    assert raised.value.resp.status == 404
    assert "File not found: 1nope." in str(raised.value)


def test_rename_and_get(drive, sheets, quote_sheet: str):
    drive.files().update(fileId=quote_sheet, body={"name": "Devis – Leroy"}).execute()

    fetched = drive.files().get(fileId=quote_sheet, fields="id,name,webViewLink").execute()
    spreadsheet = sheets.spreadsheets().get(spreadsheetId=quote_sheet).execute()

    assert fetched["name"] == "Devis – Leroy"
    assert fetched["parents"] == [POOL_FOLDER_ID]
    assert spreadsheet["properties"]["title"] == "Devis – Leroy"


def test_batch_update_by_named_range(sheets, quote_sheet: str, emulator: RunningEmulator):
    lines = [["Cocktail dînatoire", 80, 18.5, 10, 1480], ["Service", 4, 35, 20, 140]]
    result = (
        sheets.spreadsheets()
        .values()
        .batchUpdate(
            spreadsheetId=quote_sheet,
            body={
                "valueInputOption": "RAW",
                "data": [
                    {"range": "client_nom", "values": [["Amélie Dubois-Nguyen"]]},
                    {"range": "'Devis'!E9", "values": [[80]]},
                    {"range": "devis_lignes", "values": lines},
                ],
            },
        )
        .execute()
    )

    name = (
        sheets.spreadsheets().values().get(spreadsheetId=quote_sheet, range="client_nom").execute()
    )
    raw = (
        sheets.spreadsheets()
        .values()
        .get(spreadsheetId=quote_sheet, range="devis_lignes", valueRenderOption="UNFORMATTED_VALUE")
        .execute()
    )
    shown = (
        sheets.spreadsheets()
        .values()
        .get(spreadsheetId=quote_sheet, range="Devis!A12:E12")
        .execute()
    )

    assert result["totalUpdatedCells"] == 12
    assert result["totalUpdatedSheets"] == 1
    assert result["responses"][0]["updatedRange"] == "Devis!B6"
    assert result["responses"][2]["updatedRange"] == "Devis!A12:E13"
    assert name == {
        "range": "Devis!B6",
        "majorDimension": "ROWS",
        "values": [["Amélie Dubois-Nguyen"]],
    }
    assert raw["range"] == "Devis!A12:E41"
    assert raw["values"] == lines
    assert shown["values"] == [["Cocktail dînatoire", "80", "18,5", "10", "1480"]]
    assert "Amélie Dubois-Nguyen" in emulator.store.sheet_as_csv(quote_sheet)


def test_user_entered_parses_numbers(sheets, quote_sheet: str):
    sheets.spreadsheets().values().batchUpdate(
        spreadsheetId=quote_sheet,
        body={
            "valueInputOption": "USER_ENTERED",
            "data": [
                {"range": "Devis!E9", "values": [["120"]]},
                {"range": "Devis!E8", "values": [["'0612"]]},
            ],
        },
    ).execute()

    cells = (
        sheets.spreadsheets()
        .values()
        .batchGet(
            spreadsheetId=quote_sheet,
            ranges=["Devis!E9", "evenement_lieu"],
            valueRenderOption="UNFORMATTED_VALUE",
        )
        .execute()
    )

    assert cells["valueRanges"][0]["values"] == [[120]]
    assert cells["valueRanges"][1]["values"] == [["0612"]]


def test_write_outside_range_400(sheets, quote_sheet: str):
    with pytest.raises(HttpError) as raised:
        sheets.spreadsheets().values().batchUpdate(
            spreadsheetId=quote_sheet,
            body={
                "valueInputOption": "RAW",
                "data": [{"range": "client_nom", "values": [["a"], ["b"]]}],
            },
        ).execute()
    with pytest.raises(HttpError) as too_wide:
        sheets.spreadsheets().values().batchUpdate(
            spreadsheetId=quote_sheet,
            body={
                "valueInputOption": "RAW",
                "data": [{"range": "Devis!A12:B13", "values": [[1, 2, 3]]}],
            },
        ).execute()

    assert raised.value.resp.status == 400
    assert "Requested writing within range [client_nom], but tried writing to row [7]" in str(
        raised.value
    )
    assert too_wide.value.resp.status == 400
    assert "tried writing to column [C]" in str(too_wide.value)


def test_failed_batch_changes_nothing(sheets, quote_sheet: str, emulator: RunningEmulator):
    before = emulator.store.sheet_values(quote_sheet)

    with pytest.raises(HttpError):
        sheets.spreadsheets().values().batchUpdate(
            spreadsheetId=quote_sheet,
            body={
                "valueInputOption": "RAW",
                "data": [
                    {"range": "client_nom", "values": [["ok"]]},
                    {"range": "Onglet!A1", "values": [["x"]]},
                ],
            },
        ).execute()

    assert emulator.store.sheet_values(quote_sheet) == before


def test_value_input_option_required(sheets, quote_sheet: str):
    with pytest.raises(HttpError) as raised:
        sheets.spreadsheets().values().batchUpdate(
            spreadsheetId=quote_sheet, body={"data": [{"range": "client_nom", "values": [["x"]]}]}
        ).execute()

    assert raised.value.resp.status == 400
    assert "valueInputOption" in str(raised.value)


def test_unknown_body_field_400(sheets, quote_sheet: str):
    with pytest.raises(HttpError) as raised:
        sheets.spreadsheets().values().batchUpdate(
            spreadsheetId=quote_sheet,
            body={"valueInputOption": "RAW", "data": [{"range": "client_nom", "value": [["x"]]}]},
        ).execute()

    assert raised.value.resp.status == 400
    assert "Unknown name \"value\" at 'data[0]': Cannot find field." in str(raised.value)


def test_unknown_spreadsheet_404(sheets):
    with pytest.raises(HttpError) as raised:
        sheets.spreadsheets().get(spreadsheetId="1missing").execute()

    assert raised.value.resp.status == 404


def test_google_layout_paths_served(emulator: RunningEmulator):
    client = build(
        "sheets",
        "v4",
        static_discovery=True,
        client_options={"api_endpoint": f"{emulator.url}/"},
        http=httplib2.Http(),
    )
    request = client.spreadsheets().get(spreadsheetId=TEMPLATE_SPREADSHEET_ID)
    request.headers["authorization"] = "Bearer emulator-token"

    spreadsheet = request.execute()

    assert spreadsheet["spreadsheetId"] == TEMPLATE_SPREADSHEET_ID


def test_missing_token_401(emulator: RunningEmulator):
    client = build(
        "drive",
        "v3",
        static_discovery=True,
        client_options={"api_endpoint": f"{emulator.url}/drive/v3/"},
        http=httplib2.Http(),
    )

    with pytest.raises(HttpError) as raised:
        client.files().get(fileId=TEMPLATE_SPREADSHEET_ID).execute()

    assert raised.value.resp.status == 401


def test_sheet_view_html(emulator: RunningEmulator):
    response, content = httplib2.Http().request(
        f"{emulator.url}/sheets/d/{TEMPLATE_SPREADSHEET_ID}/edit"
    )

    assert response.status == 200
    assert "DEVIS" in content.decode()
