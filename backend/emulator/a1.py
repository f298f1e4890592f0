"""A1 notation for Sheets ranges: parsing into zero-based grid bounds and formatting back."""

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]{0,3})(\d*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class GridBounds:
    """Zero-based, end-exclusive bounds of a range; None is unbounded (as in a GridRange)."""

    start_row: int | None
    end_row: int | None
    start_column: int | None
    end_column: int | None


def column_index(letters: str) -> int:
    """Return the zero-based index of a column (`A` is 0, `AA` is 26)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - ord("A") + 1)
    return index - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def split_sheet(text: str) -> tuple[str | None, str]:
    """Split `'My tab'!A1:B2` into (`My tab`, `A1:B2`); no `!` gives (None, text)."""
    if text.startswith("'"):
        closing = 1
        title = ""
        while closing < len(text):
            char = text[closing]
            if char == "'" and text[closing + 1 : closing + 2] == "'":
                title += "'"
                closing += 2
                continue
            if char == "'":
                break
            title += char
            closing += 1
        rest = text[closing + 1 :]
        if rest.startswith("!"):
            return title, rest[1:]
        return title, rest
    if "!" in text:
        title, _, rest = text.rpartition("!")
        return title, rest
    return None, text


def parse_a1(text: str) -> GridBounds | None:
    """Parse `B6`, `A12:E41`, `A:E` or `3:5`; return None when the text is not A1."""
    first, _, second = text.partition(":")
    start = _CELL.match(first)
    end = _CELL.match(second) if second else start
    if not start or not end or not first:
        return None
    start_letters, start_digits = start.groups()
    end_letters, end_digits = end.groups()
    if not second and not (start_letters and start_digits):
        return None  # a lone `A` or `3` is not a cell; Sheets reads it as a tab name
    if (not start_letters and not start_digits) or (second and not (end_letters or end_digits)):
        return None
    start_row = int(start_digits) - 1 if start_digits else None
    end_row = int(end_digits) if end_digits else None
    if start_row is not None and start_row < 0:
        return None
    start_column = column_index(start_letters) if start_letters else None
    end_column = column_index(end_letters) + 1 if end_letters else None
    return GridBounds(start_row, end_row, start_column, end_column)


def quote_title(title: str) -> str:
    if _PLAIN_TITLE.match(title) and not re.match(r"^[A-Za-z]+\d+$", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, bounds: GridBounds, rows: int, columns: int) -> str:
    """Format bounds as A1 on a tab with `rows` x `columns` cells (`Devis!B6`)."""
    start_row = bounds.start_row or 0
    end_row = bounds.end_row if bounds.end_row is not None else rows
    start_column = bounds.start_column or 0
    end_column = bounds.end_column if bounds.end_column is not None else columns
    first = f"{column_letters(start_column)}{start_row + 1}"
    last = f"{column_letters(end_column - 1)}{end_row}"
    cells = first if first == last else f"{first}:{last}"
    return f"{quote_title(title)}!{cells}"
