"""SQLAlchemy models of the tables deme owns.

The schema itself is created by the Alembic migrations in `migrations/versions`;
a change here needs a new revision there.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Size of the prestation embeddings created by the migrations. `deme search reindex`
# alters the column when SEARCH_EMBEDDING_DIMENSIONS differs, and re-embeds every row.
EMBEDDING_DIMENSIONS = 384


class RunKind(StrEnum):
    INTAKE = "intake"
    AMEND = "amend"
    RESEND_QUOTE = "resend_quote"
    RERUN = "rerun"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    NEEDS_REAUTH = "needs_reauth"


FINISHED_RUN_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.NEEDS_REAUTH}
)


class StepStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class PoolState(StrEnum):
    AVAILABLE = "available"
    IN_USE = "in_use"


class SideEffectKind(StrEnum):
    CLIENT = "client"
    PRESTATION = "prestation"
    QUOTE_LINE = "quote_line"
    SHEET = "sheet"
    CALENDAR_EVENT = "calendar_event"
    EMAIL = "email"


def _check_in(column: str, values: type[StrEnum]) -> str:
    allowed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({allowed})"


# Names of constraints and indexes, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: TIMESTAMP(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        bytes: LargeBinary,
        str: Text,
    }


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=func.gen_random_uuid()
    )


def _created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def _updated_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), onupdate=func.now())


class Submission(Base):
    """A form submission exactly as received, stored before the webhook answers."""

    __tablename__ = "submissions"

    id: Mapped[uuid.UUID] = _uuid_pk()
    provider: Mapped[str]
    provider_submission_id: Mapped[str | None]
    idempotency_key: Mapped[str] = mapped_column(unique=True)
    raw_body: Mapped[bytes]
    content_type: Mapped[str]
    headers: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Run(Base):
    """One execution of a pipeline (intake, amendment, quote resend or rerun)."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_check_in("kind", RunKind), name="kind"),
        CheckConstraint(_check_in("status", RunStatus), name="status"),
        Index("ix_runs_status_created_at", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("submissions.id"), index=True
    )
    kind: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=RunStatus.QUEUED.value)
    current_step: Mapped[str | None]
    # {"step": ..., "message": ..., "retryable": ...} of the error that ended the run.
    error: Mapped[dict[str, Any] | None]
    # Summary of what the run created (ids and URLs), for people and the assistant.
    result: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    created_at: Mapped[datetime] = _created_at()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = _updated_at()
    locked_by: Mapped[str | None]
    heartbeat_at: Mapped[datetime | None]


class RunStep(Base):
    """One attempt of one pipeline step."""

    __tablename__ = "run_steps"
    __table_args__ = (
        CheckConstraint(_check_in("status", StepStatus), name="status"),
        Index("ix_run_steps_run_id_id", "run_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[str]
    attempt: Mapped[int]
    status: Mapped[str]
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None]
    retryable: Mapped[bool | None]
    # Ids and URLs the step created.
    output: Mapped[dict[str, Any] | None]


class Prestation(Base):
    """Local mirror of a prestation created in Notion, for search and the add-on."""

    __tablename__ = "prestations"
    __table_args__ = (
        Index("ix_prestations_event_date", "event_date"),
        Index("ix_prestations_client_email", "client_email"),
        Index("ix_prestations_guests", "guests"),
        Index("ix_prestations_search_tsv", "search_tsv", postgresql_using="gin"),
        Index(
            "ix_prestations_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 32, "ef_construction": 128},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("submissions.id"), unique=True
    )
    run_id: Mapped[uuid.UUID | None]
    notion_page_id: Mapped[str] = mapped_column(unique=True)
    notion_url: Mapped[str | None]
    client_page_id: Mapped[str | None]
    client_name: Mapped[str | None]
    client_email: Mapped[str | None]
    client_phone: Mapped[str | None]
    name: Mapped[str | None]
    event_type: Mapped[str | None]
    status: Mapped[str | None]
    event_date: Mapped[date | None] = mapped_column(Date)
    event_start: Mapped[datetime | None]
    event_end: Mapped[datetime | None]
    all_day: Mapped[bool] = mapped_column(server_default=text("false"))
    guests: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None]
    message: Mapped[str | None]
    options: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    quote: Mapped[dict[str, Any] | None]
    total_ht: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    total_ttc: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    sheet_id: Mapped[str | None]
    sheet_url: Mapped[str | None]
    calendar_event_id: Mapped[str | None]
    calendar_url: Mapped[str | None]
    email_message_id: Mapped[str | None]
    problems: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    notes: Mapped[str | None]
    search_text: Mapped[str | None]
    embedding: Mapped[list[float] | None] = mapped_column(Vector(EMBEDDING_DIMENSIONS))
    # Id of the model that wrote `embedding`, such as "hashing-v1/384"; search compares
    # only vectors of the configured model.
    embedding_model: Mapped[str | None]
    search_tsv: Mapped[str | None] = mapped_column(TSVECTOR)
    # When search_text, embedding and search_tsv were computed; stale when before updated_at.
    indexed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = _created_at()
    updated_at: Mapped[datetime] = _updated_at()


class PoolSheet(Base):
    """A copy of the quote template, ready for a run or claimed by one."""

    __tablename__ = "template_pool"
    __table_args__ = (CheckConstraint(_check_in("state", PoolState), name="state"),)

    sheet_id: Mapped[str] = mapped_column(primary_key=True)
    url: Mapped[str]
    state: Mapped[str] = mapped_column(server_default=PoolState.AVAILABLE.value)
    # Unique, so a run holds at most one sheet. PostgreSQL lets several rows hold NULL.
    run_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    created_at: Mapped[datetime] = _created_at()
    claimed_at: Mapped[datetime | None]


class OAuthToken(Base):
    """Encrypted OAuth credentials of one account, kept across restarts."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    provider: Mapped[str]
    subject: Mapped[str]
    encrypted_credentials: Mapped[bytes]
    updated_at: Mapped[datetime] = _updated_at()


class SideEffect(Base):
    """An external object a run created, found again by its idempotency key on a retry."""

    __tablename__ = "side_effects"
    __table_args__ = (
        CheckConstraint(_check_in("kind", SideEffectKind), name="kind"),
        UniqueConstraint("kind", "key"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), index=True
    )
    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    kind: Mapped[str]
    # Idempotency key, such as "<submission idempotency key>#3" for quote line 3.
    key: Mapped[str]
    external_id: Mapped[str]
    url: Mapped[str | None]
    data: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _created_at()
