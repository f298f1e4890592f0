"""Spreadsheets as stored documents: tabs with cells, named ranges, reads and writes.

A spreadsheet document is `{spreadsheetId, title, locale, timeZone, sheets, namedRanges}`.
Each sheet contains `sheetId`, `title`, `rowCount`, `columnCount` and `cells`, which
is a list of rows of JSON values (None for an empty cell).
"""

import copy
import secrets
from typing import Any

from backend.emulator.a1 import GridBounds, column_letters, format_range, parse_a1, split_sheet

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"
FOLDER_MIME_TYPE = "application/vnd.google-apps.folder"

Sheet = dict[str, Any]
Spreadsheet = dict[str, Any]


class RangeError(ValueError):
    """A range that cannot be parsed, is outside the grid, or is too small for the values."""


def new_file_id() -> str:
    """Return a Drive-style id: 44 characters of [A-Za-z0-9_-] starting with `1`."""
    return "1" + secrets.token_urlsafe(32)[:43]


def new_spreadsheet(spreadsheet_id: str, title: str, tabs: list[str]) -> Spreadsheet:
    return {
        "spreadsheetId": spreadsheet_id,
        "title": title,
        "locale": "fr_FR",
        "timeZone": "Europe/Paris",
        "sheets": [
            {
                "sheetId": index,
                "title": tab,
                "rowCount": DEFAULT_ROWS,
                "columnCount": DEFAULT_COLUMNS,
                "cells": [],
            }
            for index, tab in enumerate(tabs)
        ],
        "namedRanges": [],
    }


def copy_spreadsheet(source: Spreadsheet, spreadsheet_id: str, title: str) -> Spreadsheet:
    """Copy cells, tabs and named ranges (named range ids kept) under a new id."""
    copied = copy.deepcopy(source)
    copied["spreadsheetId"] = spreadsheet_id
    copied["title"] = title
    return copied


def sheet_by_title(spreadsheet: Spreadsheet, title: str) -> Sheet | None:
    for sheet in spreadsheet["sheets"]:
        if sheet["title"] == title:
            return sheet
    return None


def sheet_by_id(spreadsheet: Spreadsheet, sheet_id: int) -> Sheet | None:
    for sheet in spreadsheet["sheets"]:
        if sheet["sheetId"] == sheet_id:
            return sheet
    return None


def add_named_range(spreadsheet: Spreadsheet, name: str, a1_range: str) -> dict[str, Any]:
    sheet, bounds = resolve_range(spreadsheet, a1_range)
    named = {
        "namedRangeId": secrets.token_hex(6),
        "name": name,
        "range": grid_range(sheet, bounds),
    }
    spreadsheet["namedRanges"].append(named)
    return named


def grid_range(sheet: Sheet, bounds: GridBounds) -> dict[str, int]:
    """Return a Sheets GridRange; unbounded sides are left out, as the API does."""
    result = {"sheetId": sheet["sheetId"]}
    fields = (
        ("startRowIndex", bounds.start_row),
        ("endRowIndex", bounds.end_row),
        ("startColumnIndex", bounds.start_column),
        ("endColumnIndex", bounds.end_column),
    )
    for key, value in fields:
        if value is not None:
            result[key] = value
    return result


def resolve_range(spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, GridBounds]:
    """Resolve a named range, `Tab`, `Tab!A1:B2`, `'Tab'!B6` or `A1` (first tab)."""
    for named in spreadsheet["namedRanges"]:
        if named["name"] == text:
            grid = named["range"]
            sheet = sheet_by_id(spreadsheet, grid.get("sheetId", 0))
            if sheet is None:
                break
            return sheet, GridBounds(
                grid.get("startRowIndex"),
                grid.get("endRowIndex"),
                grid.get("startColumnIndex"),
                grid.get("endColumnIndex"),
            )
    title, cells = split_sheet(text)
    if title is None:
        sheet = sheet_by_title(spreadsheet, text)
        if sheet is not None:
            return sheet, GridBounds(None, None, None, None)
        sheet = spreadsheet["sheets"][0]
    else:
        sheet = sheet_by_title(spreadsheet, title)
        if sheet is None:
            raise RangeError(f"Unable to parse range: {text}")
        if not cells:
            return sheet, GridBounds(None, None, None, None)
    bounds = parse_a1(cells)
    if bounds is None:
        raise RangeError(f"Unable to parse range: {text}")
    return sheet, bounds


def concrete(sheet: Sheet, bounds: GridBounds) -> tuple[int, int, int, int]:
    """Return (start_row, end_row, start_column, end_column) with grid limits filled in."""
    start_row = bounds.start_row or 0
    end_row = sheet["rowCount"] if bounds.end_row is None else bounds.end_row
    start_column = bounds.start_column or 0
    end_column = sheet["columnCount"] if bounds.end_column is None else bounds.end_column
    return start_row, end_row, start_column, end_column


def a1_of(sheet: Sheet, bounds: GridBounds) -> str:
    return format_range(sheet["title"], bounds, sheet["rowCount"], sheet["columnCount"])


def parse_user_entered(value: Any) -> Any:
    """Parse a string as the Sheets UI would, for USER_ENTERED input.

    Numbers with a dot decimal point and TRUE/FALSE are converted; a leading
    apostrophe keeps the text as is. Formulas are stored as text, not evaluated.
    """
    if not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:]
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    # NOTE: Sheets parses numbers, dates and currencies with the spreadsheet's locale;
    # the emulator only reads plain numbers such as `12` or `12.5`.
    try:
        number = float(value)
    except ValueError:
        return value
    if value.strip().lower() in ("nan", "inf", "-inf", "infinity"):
        return value
    return int(number) if number.is_integer() and "." not in value else number


def write_values(
    sheet: Sheet,
    bounds: GridBounds,
    values: list[list[Any]],
    user_entered: bool,
    requested: str,
    major_dimension: str = "ROWS",
) -> tuple[GridBounds, int, int, int]:
    """Write values at a range; return (written bounds, rows, columns, cells).

    A single-cell A1 range is an anchor that the values may extend from; any other
    range must be large enough for the values.
    """
    if major_dimension == "COLUMNS":
        width = max((len(column) for column in values), default=0)
        values = [
            [column[i] if i < len(column) else None for column in values] for i in range(width)
        ]
    start_row, end_row, start_column, end_column = concrete(sheet, bounds)
    anchor = (end_row - start_row, end_column - start_column) == (1, 1) and not requested_named(
        requested
    )
    rows = len(values)
    columns = max((len(row) for row in values), default=0)
    if not anchor:
        if start_row + rows > end_row:
            raise RangeError(
                f"Requested writing within range [{requested}], but tried writing to row "
                f"[{start_row + rows}]"
            )
        if start_column + columns > end_column:
            raise RangeError(
                f"Requested writing within range [{requested}], but tried writing to column "
                f"[{column_letters(start_column + columns - 1)}]"
            )
    if start_row + rows > sheet["rowCount"] or start_column + columns > sheet["columnCount"]:
        raise RangeError(
            f"Range ({requested}) exceeds grid limits. Max rows: {sheet['rowCount']}, "
            f"max columns: {sheet['columnCount']}"
        )
    cells = sheet["cells"]
    updated = 0
    for row_offset, row in enumerate(values):
        row_index = start_row + row_offset
        while len(cells) <= row_index:
            cells.append([])
        target = cells[row_index]
        for column_offset, value in enumerate(row):
            if value is None:
                continue  # JSON null leaves the cell as it is
            column_index = start_column + column_offset
            while len(target) <= column_index:
                target.append(None)
            target[column_index] = parse_user_entered(value) if user_entered else value
            target[column_index] = None if target[column_index] == "" else target[column_index]
            updated += 1
    written = GridBounds(start_row, start_row + rows, start_column, start_column + columns)
    return written, rows, columns, updated


def requested_named(requested: str) -> bool:
    """Tell a named range name from A1 text (names have no `!` and are not cells)."""
    return "!" not in requested and parse_a1(requested) is None


def read_values(sheet: Sheet, bounds: GridBounds) -> list[list[Any]]:
    """Return the cells of a range, without trailing empty rows and cells."""
    start_row, end_row, start_column, end_column = concrete(sheet, bounds)
    rows = []
    for row_index in range(start_row, min(end_row, len(sheet["cells"]))):
        row = sheet["cells"][row_index][start_column:end_column]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def format_value(value: Any, locale: str) -> Any:
    """Render a cell as FORMATTED_VALUE text in the spreadsheet's locale (plain formats)."""
    french = locale.startswith("fr")
    if value is None:
        return ""
    if isinstance(value, bool):
        if french:
            return "VRAI" if value else "FAUX"
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() else repr(float(value))
        return text.replace(".", ",") if french else text
    return str(value)
