"""Emulator state: JSON documents in SQLite, in memory or in a file shared by processes.

Each object (Notion page, data source, spreadsheet, event, message...) is one row
`(kind, key, parent, doc)`. A file store uses WAL mode and `BEGIN IMMEDIATE`
transactions, so `deme serve` and `deme run` may use the same file at the same time.
"""

import base64
import csv
import io
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

STATE_FILE = Path("emulator") / "state.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    parent TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (kind, parent);
"""


@dataclass(frozen=True)
class SentMessage:
    """A message sent through the Gmail emulator, decoded."""

    id: str
    thread_id: str
    message_id: str
    subject: str
    sender: str
    to: str
    cc: str
    text: str
    html: str
    raw: bytes = field(repr=False)

    def as_eml(self) -> bytes:
        """Return the message as sent (RFC 5322 bytes), ready to write to a `.eml` file."""
        return self.raw


class Store:
    """Thread-safe document store; one SQLite connection guarded by a re-entrant lock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is None:
            target = ":memory:"
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout = 10000")
        if path is not None:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)
        log.debug("emulator.store.opened", path=str(path) if path else ":memory:")

    @classmethod
    def memory(cls) -> "Store":
        return cls(None)

    @classmethod
    def open(cls, data_dir: Path) -> "Store":
        """Open (or create) the state file `<data_dir>/emulator/state.sqlite3`."""
        return cls(Path(data_dir) / STATE_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # Generic documents

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Group reads and writes atomically, also against other processes on the same file.

        Nested calls join the outer transaction.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc FROM objects WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, key: str, doc: dict[str, Any], parent: str | None = None) -> None:
        """Insert or replace a document; an update keeps its creation order."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO objects (kind, key, parent, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE "
                "SET parent = excluded.parent, doc = excluded.doc",
                (kind, key, parent, json.dumps(doc, ensure_ascii=False)),
            )

    def delete(self, kind: str, key: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, key))

    def documents(self, kind: str, parent: str | None = None) -> list[dict[str, Any]]:
        """Return the documents of a kind (optionally of one parent) in creation order."""
        with self._lock:
            if parent is None:
                rows = self._conn.execute(
                    "SELECT doc FROM objects WHERE kind = ? ORDER BY rowid", (kind,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    "SELECT doc FROM objects WHERE kind = ? AND parent = ? ORDER BY rowid",
                    (kind, parent),
                ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, kind: str) -> int:
        with self._lock:
            row = self._conn.execute("SELECT COUNT(*) FROM objects WHERE kind = ?", (kind,))
            return int(row.fetchone()[0])

    # Accessors for tests and inspection

    def notion_pages(
        self, data_source_id: str | None = None, include_trashed: bool = False
    ) -> list[dict[str, Any]]:
        """Return stored Notion pages; property values are keyed by property name."""
        pages = self.documents("notion_page", parent=data_source_id)
        if not include_trashed:
            pages = [page for page in pages if not page.get("in_trash")]
        return [self._named_properties(page) for page in pages]

    def notion_page(self, page_id: str) -> dict[str, Any] | None:
        page = self.get("notion_page", page_id)
        return self._named_properties(page) if page else None

    def _named_properties(self, page: dict[str, Any]) -> dict[str, Any]:
        source = self.get("notion_data_source", page["data_source_id"]) or {"properties": {}}
        names = {pid: prop["name"] for pid, prop in source["properties"].items()}
        values = {names.get(pid, pid): value for pid, value in page["properties"].items()}
        return {**page, "properties": values}

    def sheet_values(self, spreadsheet_id: str, tab: str = "Devis") -> list[list[Any]]:
        """Return a tab's cells as rows, without trailing empty rows and cells."""
        spreadsheet = self.get("spreadsheet", spreadsheet_id)
        if spreadsheet is None:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r} in the emulator")
        for sheet in spreadsheet["sheets"]:
            if sheet["title"] == tab:
                return _trim_rows(sheet["cells"])
        raise KeyError(f"spreadsheet {spreadsheet_id!r} has no tab {tab!r}")

    def sheet_as_csv(self, spreadsheet_id: str, tab: str = "Devis") -> str:
        """Return a tab as CSV text (comma-separated, one line per row)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in self.sheet_values(spreadsheet_id, tab):
            writer.writerow(["" if value is None else value for value in row])
        return buffer.getvalue()

    def calendar_events(
        self, calendar_id: str = "primary", include_cancelled: bool = False
    ) -> list[dict[str, Any]]:
        calendar = self.get("calendar", calendar_id)
        key = calendar["id"] if calendar else calendar_id
        events = [doc["event"] for doc in self.documents("calendar_event", parent=key)]
        if include_cancelled:
            return events
        return [event for event in events if event.get("status") != "cancelled"]

    def sent_messages(self) -> list[SentMessage]:
        return [_sent_message(doc) for doc in self.documents("gmail_message")]

    def spreadsheet_ids(self) -> list[str]:
        return [doc["spreadsheetId"] for doc in self.documents("spreadsheet")]


def _trim_rows(cells: list[list[Any]]) -> list[list[Any]]:
    rows = []
    for row in cells:
        trimmed = list(row)
        while trimmed and trimmed[-1] in (None, ""):
            trimmed.pop()
        rows.append(trimmed)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _sent_message(doc: dict[str, Any]) -> SentMessage:
    return SentMessage(
        id=doc["id"],
        thread_id=doc["threadId"],
        message_id=doc["message_id"],
        subject=doc["subject"],
        sender=doc["from"],
        to=doc["to"],
        cc=doc.get("cc", ""),
        text=doc.get("text", ""),
        html=doc.get("html", ""),
        raw=base64.urlsafe_b64decode(doc["raw"]),
    )
