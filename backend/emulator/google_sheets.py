"""Sheets v4 routes: spreadsheets.get and the values get, update, batchGet and batchUpdate."""

import copy
import html
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from backend.emulator.errors import GoogleError, bad_request
from backend.emulator.google_common import base_url, google_body, routes_under, store_of
from backend.emulator.sheets_model import (
    RangeError,
    Spreadsheet,
    a1_of,
    format_value,
    read_values,
    resolve_range,
    write_values,
)
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

API = "sheets.v4"
VALUE_INPUT_OPTIONS = ("RAW", "USER_ENTERED")
VALUE_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
MAJOR_DIMENSIONS = ("ROWS", "COLUMNS")


def _get_spreadsheet(store: Store, spreadsheet_id: str) -> Spreadsheet:
    spreadsheet = store.get("spreadsheet", spreadsheet_id)
    if spreadsheet is None:
        raise GoogleError(404, "Requested entity was not found.", reason="notFound")
    return spreadsheet


def _resolve(spreadsheet: Spreadsheet, text: str) -> tuple[dict[str, Any], Any]:
    try:
        return resolve_range(spreadsheet, text)
    except RangeError as error:
        raise bad_request(str(error)) from error


def spreadsheet_url(base: str, spreadsheet_id: str) -> str:
    return f"{base}/sheets/d/{spreadsheet_id}/edit"


async def spreadsheets_get(request: Request) -> Response:
    spreadsheet = _get_spreadsheet(store_of(request), request.path_params["spreadsheetId"])
    # NOTE: `includeGridData` and `ranges` are accepted but ignored (no grid data returned).
    return JSONResponse(
        {
            "spreadsheetId": spreadsheet["spreadsheetId"],
            "properties": {
                "title": spreadsheet["title"],
                "locale": spreadsheet["locale"],
                "autoRecalc": "ON_CHANGE",
                "timeZone": spreadsheet["timeZone"],
            },
            "sheets": [
                {
                    "properties": {
                        "sheetId": sheet["sheetId"],
                        "title": sheet["title"],
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": {
                            "rowCount": sheet["rowCount"],
                            "columnCount": sheet["columnCount"],
                        },
                    }
                }
                for index, sheet in enumerate(spreadsheet["sheets"])
            ],
            "namedRanges": spreadsheet["namedRanges"],
            "spreadsheetUrl": spreadsheet_url(base_url(request), spreadsheet["spreadsheetId"]),
        }
    )


def _option(value: str | None, allowed: tuple[str, ...], name: str, default: str | None) -> str:
    if value is None:
        if default is None:
            raise bad_request(f"Invalid {name}: unspecified; use one of {', '.join(allowed)}.")
        return default
    if value not in allowed:
        raise bad_request(f"Invalid {name}: {value}; use one of {', '.join(allowed)}.")
    return value


def _write(
    spreadsheet: Spreadsheet, entry: dict[str, Any], user_entered: bool, include: bool
) -> dict[str, Any]:
    requested = entry.get("range")
    if not requested:
        raise bad_request("Invalid data[0]: the range of a ValueRange is required.")
    values = entry.get("values") or []
    if not all(isinstance(row, list) for row in values):
        raise bad_request(f"Invalid values for range {requested}: expected a list of rows.")
    dimension = _option(entry.get("majorDimension"), MAJOR_DIMENSIONS, "majorDimension", "ROWS")
    sheet, bounds = _resolve(spreadsheet, requested)
    try:
        written, rows, columns, cells = write_values(
            sheet, bounds, values, user_entered, requested, dimension
        )
    except RangeError as error:
        raise bad_request(str(error)) from error
    response: dict[str, Any] = {
        "spreadsheetId": spreadsheet["spreadsheetId"],
        "updatedRange": a1_of(sheet, written if rows and columns else bounds),
        "updatedRows": rows,
        "updatedColumns": columns,
        "updatedCells": cells,
    }
    if include:
        response["updatedData"] = {
            "range": a1_of(sheet, bounds),
            "majorDimension": "ROWS",
            "values": read_values(sheet, bounds),
        }
    return response


async def values_batch_update(request: Request) -> Response:
    spreadsheet_id = request.path_params["spreadsheetId"]
    body = await google_body(request, API, "spreadsheets.values.batchUpdate")
    option = _option(body.get("valueInputOption"), VALUE_INPUT_OPTIONS, "valueInputOption", None)
    include = bool(body.get("includeValuesInResponse"))
    store = store_of(request)
    with store.transaction():
        # Work on a copy so a failing entry leaves the spreadsheet as it was (atomic batch).
        spreadsheet = copy.deepcopy(_get_spreadsheet(store, spreadsheet_id))
        responses = [
            _write(spreadsheet, entry, option == "USER_ENTERED", include)
            for entry in body.get("data") or []
        ]
        store.put("spreadsheet", spreadsheet_id, spreadsheet)
    sheets = {response["updatedRange"].rpartition("!")[0] for response in responses}
    log.info("emulator.sheets.values_updated", spreadsheet_id=spreadsheet_id, ranges=len(responses))
    return JSONResponse(
        {
            "spreadsheetId": spreadsheet_id,
            "totalUpdatedRows": sum(item["updatedRows"] for item in responses),
            "totalUpdatedColumns": sum(item["updatedColumns"] for item in responses),
            "totalUpdatedCells": sum(item["updatedCells"] for item in responses),
            "totalUpdatedSheets": len(sheets),
            "responses": responses,
        }
    )


async def values_update(request: Request) -> Response:
    spreadsheet_id = request.path_params["spreadsheetId"]
    body = await google_body(request, API, "spreadsheets.values.update")
    option = _option(
        request.query_params.get("valueInputOption"),
        VALUE_INPUT_OPTIONS,
        "valueInputOption",
        None,
    )
    include = request.query_params.get("includeValuesInResponse") == "true"
    entry = {**body, "range": request.path_params["range"]}
    store = store_of(request)
    with store.transaction():
        spreadsheet = copy.deepcopy(_get_spreadsheet(store, spreadsheet_id))
        response = _write(spreadsheet, entry, option == "USER_ENTERED", include)
        store.put("spreadsheet", spreadsheet_id, spreadsheet)
    return JSONResponse(response)


def _value_range(spreadsheet: Spreadsheet, requested: str, request: Request) -> dict[str, Any]:
    render = _option(
        request.query_params.get("valueRenderOption"),
        VALUE_RENDER_OPTIONS,
        "valueRenderOption",
        "FORMATTED_VALUE",
    )
    dimension = _option(
        request.query_params.get("majorDimension"), MAJOR_DIMENSIONS, "majorDimension", "ROWS"
    )
    sheet, bounds = _resolve(spreadsheet, requested)
    values = read_values(sheet, bounds)
    if render == "FORMATTED_VALUE":
        values = [[format_value(cell, spreadsheet["locale"]) for cell in row] for row in values]
    else:
        values = [["" if cell is None else cell for cell in row] for row in values]
    if dimension == "COLUMNS":
        width = max((len(row) for row in values), default=0)
        values = [[row[i] if i < len(row) else "" for row in values] for i in range(width)]
        values = [_trim(column) for column in values]
    result: dict[str, Any] = {"range": a1_of(sheet, bounds), "majorDimension": dimension}
    if values:
        result["values"] = values
    return result


def _trim(cells: list[Any]) -> list[Any]:
    while cells and cells[-1] == "":
        cells.pop()
    return cells


async def values_get(request: Request) -> Response:
    spreadsheet = _get_spreadsheet(store_of(request), request.path_params["spreadsheetId"])
    return JSONResponse(_value_range(spreadsheet, request.path_params["range"], request))


async def values_batch_get(request: Request) -> Response:
    spreadsheet = _get_spreadsheet(store_of(request), request.path_params["spreadsheetId"])
    ranges = request.query_params.getlist("ranges")
    return JSONResponse(
        {
            "spreadsheetId": spreadsheet["spreadsheetId"],
            "valueRanges": [_value_range(spreadsheet, item, request) for item in ranges],
        }
    )


async def spreadsheet_view(request: Request) -> Response:
    """Serve a read-only HTML table of every tab, for a person following `webViewLink`."""
    spreadsheet = store_of(request).get("spreadsheet", request.path_params["spreadsheetId"])
    if spreadsheet is None:
        return HTMLResponse("<h1>Spreadsheet not found</h1>", status_code=404)
    parts = [f"<h1>{html.escape(spreadsheet['title'])}</h1>"]
    locale = spreadsheet["locale"]
    for sheet in spreadsheet["sheets"]:
        rows = read_values(sheet, resolve_range(spreadsheet, sheet["title"])[1])
        width = max((len(row) for row in rows), default=0)
        lines = []
        for row in rows:
            padded = row + [None] * (width - len(row))
            cells = "".join(
                f"<td>{html.escape(format_value(cell, locale))}</td>" for cell in padded
            )
            lines.append(f"<tr>{cells}</tr>")
        title = html.escape(sheet["title"])
        parts.append(f"<h2>{title}</h2><table border=1>{''.join(lines)}</table>")
    return HTMLResponse("<!doctype html><meta charset=utf-8>" + "".join(parts))


# Sheets' discovery paths start with `v4/`, so a client whose endpoint is
# `<emulator>/sheets/v4/` calls `/sheets/v4/v4/spreadsheets/...`; Google's own layout
# (`/v4/spreadsheets/...`) and `/sheets/v4/spreadsheets/...` are served too.
ROUTES = [
    *routes_under(
        ("/sheets/v4/v4/spreadsheets", "/sheets/v4/spreadsheets", "/v4/spreadsheets"),
        [
            ("/{spreadsheetId}", spreadsheets_get, ["GET"]),
            ("/{spreadsheetId}/values:batchUpdate", values_batch_update, ["POST"]),
            ("/{spreadsheetId}/values:batchGet", values_batch_get, ["GET"]),
            ("/{spreadsheetId}/values/{range:path}", values_get, ["GET"]),
            ("/{spreadsheetId}/values/{range:path}", values_update, ["PUT"]),
        ],
    ),
    Route("/sheets/d/{spreadsheetId}", spreadsheet_view, methods=["GET"]),
    Route("/sheets/d/{spreadsheetId}/edit", spreadsheet_view, methods=["GET"]),
]
