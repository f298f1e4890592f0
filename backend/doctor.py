"""`deme doctor`: check every connection deme depends on, one line per check, with the fix.

Each check runs on its own: a failure is reported and the next check still runs. The
checks cover the database and its migrations, pgvector, the Notion token and each data
source's schema, and the Google credentials and their scopes. They also cover the quote
template and its named ranges, the pool level, the calendar, the sender mailbox, and
the LLM settings when there are some.
"""

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from typing import Any

import structlog
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from backend.config import Settings
from backend.db import pool as pool_store
from backend.db.embedded import ensure_database
from backend.db.migrate import alembic_config, psycopg_url
from backend.db.models import Run, RunStatus
from backend.db.session import Database
from backend.errors import DemeError, ExternalServiceError
from backend.integrations.google import SCOPES, GoogleGateway
from backend.integrations.google_auth import REAUTH_FIX
from backend.integrations.workspace_schema import DATA_SOURCES, QUOTE_NAMED_RANGES
from backend.setup.google import open_google_gateway
from backend.setup.notion_admin import NotionAdmin
from backend.setup.notion_schema import DATA_SOURCE_SETTINGS, compare_schema

log = structlog.get_logger(__name__)

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"


@dataclass(frozen=True)
class Check:
    """The result of one check: status, what was found and, when it failed, the fix."""

    name: str
    status: str
    detail: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Doctor:
    """Runs the checks against the services the settings select."""

    def __init__(self, settings: Settings, *, emulator_url: str | None) -> None:
        self.settings = settings
        self.emulator_url = emulator_url
        self.db: Database | None = None
        self.google: GoogleGateway | None = None
        self.checks: list[Check] = []

    def add(self, name: str, status: str, detail: str, fix: str | None = None) -> None:
        self.checks.append(Check(name, status, detail, fix))

    async def guarded(self, name: str, check: Callable[[], Awaitable[None]]) -> None:
        try:
            await check()
        except DemeError as exc:
            self.add(name, FAIL, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            log.exception("doctor.check_crashed", check=name)
            self.add(name, FAIL, f"{type(exc).__name__}: {exc}")

    # Database

    async def check_database(self) -> None:
        urls = await asyncio.to_thread(ensure_database, self.settings)
        revision, head = await asyncio.to_thread(_revisions, urls)
        if revision != head:
            self.add(
                "database", FAIL, f"schema at revision {revision}, code expects {head}",
                "start deme once (`deme serve` or `deme run`) to apply the migrations",
            )
            return
        self.add("database", OK, f"{urls.redacted()}, migrations at {head}")
        self.db = Database(urls, _engine(urls))
        async with self.db.session() as session:
            version = await session.scalar(
                text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            )
        if version is None:
            self.add("pgvector", FAIL, "extension vector is not installed",
                     "install pgvector on the server and run CREATE EXTENSION vector")
        else:
            self.add("pgvector", OK, f"vector {version}")

    # Notion

    async def check_notion(self) -> None:
        emulated = self.settings.uses_notion_emulator
        admin = NotionAdmin(self.settings, emulator_url=self.emulator_url)
        try:
            try:
                me = await admin.me()
            except ExternalServiceError as exc:
                fix = "copy the integration's secret from https://www.notion.so/profile/integrations"
                self.add("notion token", FAIL, str(exc), f"set NOTION_TOKEN: {fix}")
                return
            where = "emulator" if emulated else (me.get("bot", {}).get("workspace_name") or "ok")
            self.add("notion token", OK, f"integration {me.get('name')!r} in {where}")
            ids = self._data_source_ids()
            for key, schema in DATA_SOURCES.items():
                await self._check_data_source(admin, key, schema, ids)
        finally:
            await admin.aclose()

    def _data_source_ids(self) -> dict[str, str]:
        from backend.emulator import bootstrap

        configured = {
            "clients": self.settings.notion_clients_data_source_id,
            "prestations": self.settings.notion_prestations_data_source_id,
            "quote_lines": self.settings.notion_quote_lines_data_source_id,
        }
        if self.settings.uses_notion_emulator:
            defaults = bootstrap.DATA_SOURCE_IDS
            return {key: value or defaults[key] for key, value in configured.items()}
        return {key: value for key, value in configured.items() if value}

    async def _check_data_source(
        self, admin: NotionAdmin, key: str, schema: Any, ids: dict[str, str]
    ) -> None:
        name = f"notion {schema.title}"
        setting = DATA_SOURCE_SETTINGS[key]
        source_id = ids.get(key)
        if not source_id:
            self.add(name, FAIL, f"{setting} is not set",
                     "run `deme setup notion --parent PAGE_URL` and keep the settings it prints")
            return
        try:
            source = await admin.data_source(source_id)
        except ExternalServiceError as exc:
            self.add(name, FAIL, f"data source {source_id} is not reachable: {exc}",
                     f"share its database with the integration, or fix {setting}")
            return
        problems = compare_schema(schema, source, ids)
        if problems:
            self.add(name, FAIL, "; ".join(problem.message for problem in problems),
                     "fix the properties named above, then run `deme doctor` again")
        else:
            self.add(name, OK, f"data source {source_id}, {len(schema.properties)} properties")

    # Google

    async def check_google(self) -> None:
        self.google = open_google_gateway(self.settings, emulator_url=self.emulator_url)
        credentials = self.google._credentials  # noqa: SLF001 - the gateway's own credentials
        if self.settings.uses_google_emulator:
            self.add("google credentials", OK, "emulator (no GOOGLE_CREDENTIALS_FILE)")
        else:
            await self._check_credentials(credentials)
        await self.guarded("quote template", self._check_template)
        await self.guarded("template pool", self._check_pool)
        await self.guarded("calendar", self._check_calendar)
        await self.guarded("sender mailbox", self._check_mailbox)

    async def _check_credentials(self, credentials: Any) -> None:
        from google.auth.transport.requests import Request

        waiting = await self._runs_waiting()
        try:
            await asyncio.to_thread(credentials.refresh, Request())
        except Exception as exc:  # noqa: BLE001 - google-auth raises several kinds
            detail = f"refresh failed: {exc}"
            if waiting:
                detail += f"; {waiting} runs wait in needs_reauth"
            self.add("google credentials", FAIL, detail, REAUTH_FIX)
            return
        kind = getattr(credentials, "_kind", type(credentials).__name__)
        self.add("google credentials", OK, f"{kind}, access token refreshed")
        granted = _granted_scopes(credentials)
        missing = sorted(set(SCOPES) - set(granted)) if granted else []
        if missing:
            self.add("google scopes", FAIL, f"missing {', '.join(missing)}",
                     "run `deme auth google` again and accept every permission asked")
        else:
            self.add("google scopes", OK if granted else WARN,
                     f"{len(granted)} granted" if granted else "scopes not reported by Google")

    async def _runs_waiting(self) -> int:
        if self.db is None:
            return 0
        async with self.db.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(Run).where(Run.status == RunStatus.NEEDS_REAUTH)
            )
        return int(count or 0)

    def _template_id(self) -> str | None:
        from backend.emulator import bootstrap

        if self.settings.google_template_spreadsheet_id:
            return self.settings.google_template_spreadsheet_id
        return bootstrap.TEMPLATE_SPREADSHEET_ID if self.settings.uses_google_emulator else None

    async def _check_template(self) -> None:
        template_id = self._template_id()
        if not template_id:
            self.add("quote template", FAIL, "GOOGLE_TEMPLATE_SPREADSHEET_ID is not set",
                     "run `deme setup google` and keep the settings it prints")
            return
        assert self.google is not None
        try:
            spreadsheet = await self.google.get_spreadsheet(template_id)
        except ExternalServiceError as exc:
            self.add("quote template", FAIL, f"spreadsheet {template_id}: {exc}",
                     "share it with deme's Google account, or fix GOOGLE_TEMPLATE_SPREADSHEET_ID")
            return
        present = {item["name"] for item in spreadsheet.get("namedRanges", [])}
        missing = [name for name in QUOTE_NAMED_RANGES if name not in present]
        if missing:
            self.add("quote template", FAIL, f"named ranges missing: {', '.join(missing)}",
                     "run `deme setup google` again: it adds the missing named ranges")
        else:
            self.add("quote template", OK,
                     f"{template_id}, {len(QUOTE_NAMED_RANGES)} named ranges")

    async def _check_pool(self) -> None:
        if self.db is None:
            self.add("template pool", SKIP, "database unreachable")
            return
        async with self.db.session() as session:
            status = await pool_store.pool_status(session)
        target = self.settings.template_pool_target
        detail = f"{status.available} available of {target}, {status.in_use} in use"
        if status.available < min(self.settings.template_pool_low_water, target):
            self.add("template pool", WARN, detail,
                     "run `deme pool refill` (runs still work: they copy the template)")
        else:
            self.add("template pool", OK, detail)

    async def _check_calendar(self) -> None:
        assert self.google is not None
        calendar_id = self.settings.google_calendar_id
        try:
            await self.google._execute(  # noqa: SLF001
                "calendar", "events.list",
                lambda api: api.events().list(calendarId=calendar_id, maxResults=1),
            )
        except ExternalServiceError as exc:
            self.add("calendar", FAIL, f"calendar {calendar_id}: {exc}",
                     "share the calendar with deme's Google account, or fix GOOGLE_CALENDAR_ID")
            return
        self.add("calendar", OK, f"calendar {calendar_id} reachable")

    async def _check_mailbox(self) -> None:
        assert self.google is not None
        try:
            profile = await self.google._execute(  # noqa: SLF001
                "gmail", "users.getProfile", lambda api: api.users().getProfile(userId="me")
            )
        except ExternalServiceError as exc:
            self.add("sender mailbox", FAIL, str(exc),
                     "grant the gmail.send scope (`deme auth google`), or set GOOGLE_SUBJECT")
            return
        address = profile.get("emailAddress", "")
        if address.lower() != self.settings.business_email.lower():
            business = self.settings.business_email
            self.add("sender mailbox", WARN,
                     f"mail goes out as {address}, BUSINESS_EMAIL is {business}",
                     "set BUSINESS_EMAIL to the mailbox deme sends from, or authorise that one")
        else:
            self.add("sender mailbox", OK, f"{address} reachable")

    # LLM

    def check_llm(self) -> None:
        key = getattr(self.settings, "search_openai_api_key", None)
        provider = getattr(self.settings, "search_embedding_provider", None)
        if key is None and provider != "openai":
            self.add("llm", SKIP, "no LLM settings (search uses local embeddings)")
        elif key is None:
            self.add("llm", FAIL, "SEARCH_EMBEDDING_PROVIDER is openai but no API key is set",
                     "set OPENAI_API_KEY, or SEARCH_EMBEDDING_PROVIDER=hashing")
        else:
            self.add("llm", OK, "API key set")

    async def aclose(self) -> None:
        if self.db is not None:
            await self.db.dispose()


def _engine(urls: Any) -> Any:
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine(urls.sqlalchemy, poolclass=NullPool)


def _revisions(urls: Any) -> tuple[str | None, str | None]:
    head = ScriptDirectory.from_config(alembic_config(urls)).get_current_head()
    engine = create_engine(psycopg_url(urls), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return revision, head


def _granted_scopes(credentials: Any) -> list[str]:
    inner = getattr(credentials, "_inner", credentials)
    granted = getattr(inner, "granted_scopes", None) or getattr(inner, "scopes", None)
    return list(granted or [])


async def run_doctor(settings: Settings) -> list[Check]:
    """Run every check and return them in order."""
    async with AsyncExitStack() as stack:
        emulator_url = settings.emulator_url
        if settings.uses_emulator and not emulator_url:
            from backend.emulator.server import start_emulator

            emulator = start_emulator(settings.data_dir, settings=settings)
            stack.callback(emulator.stop)
            emulator_url = emulator.url
        doctor = Doctor(settings, emulator_url=emulator_url)
        stack.push_async_callback(doctor.aclose)
        await doctor.guarded("database", doctor.check_database)
        await doctor.guarded("notion token", doctor.check_notion)
        await doctor.guarded("google credentials", doctor.check_google)
        doctor.check_llm()
        return doctor.checks


def exit_code(checks: list[Check]) -> int:
    """Return 1 when any check failed, else 0 (warnings do not fail)."""
    return 1 if any(check.status == FAIL for check in checks) else 0

