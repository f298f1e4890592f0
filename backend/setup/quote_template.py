"""The quote template's layout: a French *devis* with header, client block, lines and totals.

Cells, formats and named ranges are described here as Sheets API requests, so the same
layout is created in Google Sheets and in the emulator. The filler writes only to the
named ranges of `workspace_schema.QUOTE_NAMED_RANGES`; everything else is fixed text.
"""

from typing import Any

from backend.emulator.a1 import parse_a1, split_sheet
from backend.integrations.workspace_schema import (
    QUOTE_LINE_COLUMNS,
    QUOTE_LINE_ROWS,
    QUOTE_NAMED_RANGES,
    QUOTE_SHEET_TAB,
    QUOTE_TOTAL_ROWS,
)

TEMPLATE_NAME = "deme – Modèle de devis"
POOL_FOLDER_NAME = "deme – devis"
EURO_FORMAT = {"type": "CURRENCY", "pattern": '#,##0.00 "€"'}
QUANTITY_FORMAT = {"type": "NUMBER", "pattern": "#,##0.##"}
VAT_FORMAT = {"type": "NUMBER", "pattern": '0.0" %"'}
DATE_FORMAT = {"type": "DATE", "pattern": "dd/mm/yyyy"}
FIRST_LINE_ROW = 12  # 1-based row of the first quote line
LAST_LINE_ROW = FIRST_LINE_ROW + QUOTE_LINE_ROWS - 1
FIRST_TOTAL_ROW = LAST_LINE_ROW + 2
CONDITIONS_ROW = FIRST_TOTAL_ROW + QUOTE_TOTAL_ROWS + 1


def template_values(business_name: str, business_email: str) -> list[dict[str, Any]]:
    """Return the fixed text of the template as `values.batchUpdate` data."""
    tab = QUOTE_SHEET_TAB
    return [
        {"range": f"{tab}!A1:A3", "values": [[business_name], [business_email], ["DEVIS"]]},
        {"range": f"{tab}!D3:D4", "values": [["Référence"], ["Date du devis"]]},
        {"range": f"{tab}!A5", "values": [["Client"]]},
        {"range": f"{tab}!D5", "values": [["Prestation"]]},
        {"range": f"{tab}!A6:A9", "values": [["Nom"], ["Email"], ["Téléphone"], ["Adresse"]]},
        {"range": f"{tab}!D6:D9", "values": [["Événement"], ["Date"], ["Lieu"], ["Convives"]]},
        {"range": f"{tab}!A11:E11", "values": [list(QUOTE_LINE_COLUMNS)]},
        {"range": f"{tab}!D{FIRST_TOTAL_ROW - 1}", "values": [["Totaux"]]},
        {
            "range": f"{tab}!A{CONDITIONS_ROW}:A{CONDITIONS_ROW + 1}",
            "values": [
                ["Devis valable 30 jours. Acompte de 30 % à la commande, solde le jour de la "
                 "prestation."],
                ["Montants en euros. TVA au taux en vigueur à la date de la prestation."],
            ],
        },
    ]


def grid_range(a1_range: str, sheet_id: int = 0) -> dict[str, int]:
    """Return the Sheets GridRange (0-based, end exclusive) of an A1 range on the quote tab."""
    _, cells = split_sheet(a1_range)
    bounds = parse_a1(cells)
    result = {"sheetId": sheet_id}
    for key, value in (
        ("startRowIndex", bounds.start_row),
        ("endRowIndex", bounds.end_row),
        ("startColumnIndex", bounds.start_column),
        ("endColumnIndex", bounds.end_column),
    ):
        if value is not None:
            result[key] = value
    return result


def _format(a1_range: str, cell_format: dict[str, Any], fields: str) -> dict[str, Any]:
    return {
        "repeatCell": {
            "range": grid_range(a1_range),
            "cell": {"userEnteredFormat": cell_format},
            "fields": fields,
        }
    }


def template_requests(title: str) -> list[dict[str, Any]]:
    """Return the `spreadsheets.batchUpdate` requests that shape a new one-tab spreadsheet."""
    tab = QUOTE_SHEET_TAB
    bold = {"textFormat": {"bold": True}}
    header_fill = {"backgroundColor": {"red": 0.93, "green": 0.93, "blue": 0.93}, **bold}
    requests: list[dict[str, Any]] = [
        {
            "updateSpreadsheetProperties": {
                "properties": {"title": title, "locale": "fr_FR", "timeZone": "Europe/Paris"},
                "fields": "title,locale,timeZone",
            }
        },
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "title": tab, "gridProperties": {"frozenRowCount": 0}},
                "fields": "title",
            }
        },
        _format(f"{tab}!A1", {"textFormat": {"bold": True, "fontSize": 16}}, "userEnteredFormat"),
        _format(f"{tab}!A3", {"textFormat": {"bold": True, "fontSize": 14}}, "userEnteredFormat"),
        _format(f"{tab}!A5:E5", bold, "userEnteredFormat.textFormat"),
        _format(f"{tab}!A11:E11", header_fill, "userEnteredFormat(backgroundColor,textFormat)"),
        _format(f"{tab}!E4", {"numberFormat": DATE_FORMAT}, "userEnteredFormat.numberFormat"),
        _format(f"{tab}!E7", {"numberFormat": DATE_FORMAT}, "userEnteredFormat.numberFormat"),
        _format(
            f"{tab}!B{FIRST_LINE_ROW}:B{LAST_LINE_ROW}",
            {"numberFormat": QUANTITY_FORMAT},
            "userEnteredFormat.numberFormat",
        ),
        _format(
            f"{tab}!C{FIRST_LINE_ROW}:C{LAST_LINE_ROW}",
            {"numberFormat": EURO_FORMAT},
            "userEnteredFormat.numberFormat",
        ),
        _format(
            f"{tab}!D{FIRST_LINE_ROW}:D{LAST_LINE_ROW}",
            {"numberFormat": VAT_FORMAT},
            "userEnteredFormat.numberFormat",
        ),
        _format(
            f"{tab}!E{FIRST_LINE_ROW}:E{LAST_LINE_ROW}",
            {"numberFormat": EURO_FORMAT},
            "userEnteredFormat.numberFormat",
        ),
        _format(
            f"{tab}!E{FIRST_TOTAL_ROW}:E{FIRST_TOTAL_ROW + QUOTE_TOTAL_ROWS - 1}",
            {"numberFormat": EURO_FORMAT, **bold},
            "userEnteredFormat(numberFormat,textFormat)",
        ),
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                "properties": {"pixelSize": 260},
                "fields": "pixelSize",
            }
        },
    ]
    for name, a1_range in QUOTE_NAMED_RANGES.items():
        named_range = {"name": name, "range": grid_range(a1_range)}
        requests.append({"addNamedRange": {"namedRange": named_range}})
    return requests
