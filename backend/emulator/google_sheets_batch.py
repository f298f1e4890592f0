"""Sheets v4 `spreadsheets.batchUpdate`: the structure and format requests of setup.

Supported requests: updateSpreadsheetProperties, updateSheetProperties, addNamedRange,
deleteNamedRange, repeatCell, mergeCells, updateBorders and updateDimensionProperties.
Formats, merges, borders and sizes are stored as sent (in `formats`) so a test can
inspect them; the emulator does not render them. Any other request is rejected with 400,
and no request of the batch is applied, as the API applies a batch atomically.
"""

import copy
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.emulator.errors import GoogleError, bad_request
from backend.emulator.google_common import google_body, routes_under, store_of
from backend.emulator.sheets_model import Spreadsheet, sheet_by_id

API = "sheets.v4"
STORED_AS_SENT = ("repeatCell", "mergeCells", "updateBorders", "updateDimensionProperties")


def _sheet(spreadsheet: Spreadsheet, grid: dict[str, Any], kind: str) -> dict[str, Any]:
    sheet = sheet_by_id(spreadsheet, int(grid.get("sheetId", 0)))
    if sheet is None:
        raise bad_request(f"Invalid requests[{kind}]: No grid with id: {grid.get('sheetId')}")
    return sheet


def _apply(spreadsheet: Spreadsheet, request: dict[str, Any]) -> dict[str, Any]:
    kind = next(iter(request))
    body = request[kind]
    if kind == "updateSpreadsheetProperties":
        for key in ("title", "locale", "timeZone"):
            if key in body.get("properties", {}):
                spreadsheet[key] = body["properties"][key]
        return {}
    if kind == "updateSheetProperties":
        properties = body.get("properties", {})
        sheet = _sheet(spreadsheet, properties, kind)
        if "title" in properties:
            sheet["title"] = properties["title"]
        if "gridProperties" in properties:
            sheet.setdefault("gridProperties", {}).update(properties["gridProperties"])
        return {}
    if kind == "addNamedRange":
        named = copy.deepcopy(body["namedRange"])
        if any(item["name"] == named["name"] for item in spreadsheet["namedRanges"]):
            raise bad_request(
                f"Invalid requests[addNamedRange]: Named range with name {named['name']} "
                "already exists."
            )
        _sheet(spreadsheet, named.get("range", {}), kind)
        named.setdefault("namedRangeId", secrets.token_hex(6))
        spreadsheet["namedRanges"].append(named)
        return {"addNamedRange": {"namedRange": named}}
    if kind == "deleteNamedRange":
        spreadsheet["namedRanges"] = [
            item
            for item in spreadsheet["namedRanges"]
            if item["namedRangeId"] != body.get("namedRangeId")
        ]
        return {}
    if kind in STORED_AS_SENT:
        _sheet(spreadsheet, body.get("range", {}), kind)
        spreadsheet.setdefault("formats", []).append({kind: copy.deepcopy(body)})
        return {}
    raise bad_request(f"Invalid requests[0]: the emulator does not support the {kind} request.")


async def spreadsheets_batch_update(request: Request) -> Response:
    spreadsheet_id = request.path_params["spreadsheetId"]
    body = await google_body(request, API, "spreadsheets.batchUpdate")
    store = store_of(request)
    with store.transaction():
        spreadsheet = store.get("spreadsheet", spreadsheet_id)
        if spreadsheet is None:
            raise GoogleError(404, "Requested entity was not found.", reason="notFound")
        replies = [_apply(spreadsheet, item) for item in body.get("requests", [])]
        store.put("spreadsheet", spreadsheet_id, spreadsheet)
    return JSONResponse({"spreadsheetId": spreadsheet_id, "replies": replies})


ROUTES = routes_under(
    ("/sheets/v4/v4/spreadsheets", "/sheets/v4/spreadsheets", "/v4/spreadsheets"),
    [("/{spreadsheetId}:batchUpdate", spreadsheets_batch_update, ["POST"])],
)
