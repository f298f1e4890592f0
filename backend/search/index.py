"""Keep the search columns of `prestations` current: text, embedding and French tsvector.

A row is indexed when its run completes (the pipeline's `index` step), and again by
`deme search reindex` when it is stale: never indexed, changed since (an amendment moves
`updated_at`), or embedded by another model than the configured one. Indexing a row
twice writes the same values, so every path may repeat it.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.db.models import Prestation
from backend.search.embeddings import Embedder
from backend.search.text import SearchDocument, normalise, prestation_document

log = structlog.get_logger(__name__)

# Graph degree and build candidate list of the HNSW index, as migration 0002 creates it.
# bench/search_speed.py measures their recall at 100,000 rows (see bench/README.md).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128
HNSW_INDEX = "ix_prestations_embedding_hnsw"

# Titles weigh A, details B and free text C in ts_rank (French configuration, unaccented).
_WRITE_ROW = text(
    """
    UPDATE prestations SET
        search_text = :search_text,
        embedding = CAST(:embedding AS vector),
        embedding_model = :embedding_model,
        search_tsv = setweight(to_tsvector('french', :title), 'A')
            || setweight(to_tsvector('french', :details), 'B')
            || setweight(to_tsvector('french', :free_text), 'C'),
        indexed_at = now()
    WHERE id = :id
    """
)

_STALE = """
    indexed_at IS NULL OR indexed_at < updated_at OR embedding IS NULL
    OR embedding_model IS DISTINCT FROM :model
"""


@dataclass(frozen=True)
class ReindexReport:
    """Counts and sizes of one reindex."""

    model_id: str
    dimensions: int
    column_resized_from: int | None
    indexed: int
    already_current: int


def vector_literal(vector: list[float]) -> str:
    """Write a vector in pgvector's text form, "[0.1,0.2]"."""
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]"


def tsvector_parts(document: SearchDocument) -> dict[str, str]:
    """Return the unaccented weighted parts `to_tsvector('french', …)` receives."""
    return {
        "title": normalise(document.title),
        "details": normalise(document.details),
        "free_text": normalise(document.free_text),
    }


async def embedding_column_dimensions(session: AsyncSession) -> int | None:
    """Return the size declared for `prestations.embedding` (None when undeclared)."""
    value = await session.scalar(
        text(
            "SELECT atttypmod FROM pg_attribute "
            "WHERE attrelid = 'prestations'::regclass AND attname = 'embedding'"
        )
    )
    return int(value) if value is not None and value > 0 else None


async def index_rows(
    session: AsyncSession, rows: list[Any], *, embedder: Embedder
) -> int:
    """Compute and write the search columns of these `prestations` rows; no commit."""
    if not rows:
        return 0
    documents = [prestation_document(row) for row in rows]
    vectors = await embedder.embed_documents([normalise(doc.text) for doc in documents])
    parameters = [
        {
            "id": row.id,
            "search_text": document.text,
            "embedding": vector_literal(vector),
            "embedding_model": embedder.model_id,
            **tsvector_parts(document),
        }
        for row, document, vector in zip(rows, documents, vectors, strict=True)
    ]
    await session.execute(_WRITE_ROW, parameters)
    return len(parameters)


async def index_prestation(
    session: AsyncSession,
    *,
    embedder: Embedder,
    prestation_id: uuid.UUID | None = None,
    notion_page_id: str | None = None,
) -> bool:
    """Index one prestation, by id or Notion page id, and commit.

    Returns False when no such prestation exists. Raises `EmbeddingSizeMismatch` when the
    column's size differs from the embedder's, until `deme search reindex` resizes it.
    """
    query = select(Prestation)
    if prestation_id is not None:
        query = query.where(Prestation.id == prestation_id)
    elif notion_page_id is not None:
        query = query.where(Prestation.notion_page_id == notion_page_id)
    else:
        raise TypeError("index_prestation needs prestation_id or notion_page_id")
    row = await session.scalar(query)
    if row is None:
        return False

    await check_column_size(session, embedder)
    await index_rows(session, [row], embedder=embedder)
    await session.commit()
    return True


class EmbeddingSizeMismatch(Exception):
    """The embedding column and the configured embedder have different sizes."""


async def check_column_size(session: AsyncSession, embedder: Embedder) -> None:
    """Raise EmbeddingSizeMismatch when the column cannot hold the embedder's vectors."""
    column = await embedding_column_dimensions(session)
    if column is not None and column != embedder.dimensions:
        raise EmbeddingSizeMismatch(
            f"prestations.embedding has {column} dimensions but {embedder.model_id} "
            f"writes {embedder.dimensions}: run `deme search reindex` to resize the column "
            "and re-embed every prestation"
        )


async def reindex(
    session: AsyncSession,
    *,
    embedder: Embedder,
    full: bool = False,
    batch_size: int = 200,
) -> ReindexReport:
    """Index every stale prestation (every one with `full`), resizing the column if needed.

    A size change clears every vector in the same transaction as the resize, so no row
    keeps a vector of the old model. Commits after each batch; a second run finds
    nothing stale and writes nothing.
    """
    resized_from = await _resize_column(session, embedder.dimensions)
    stale = "TRUE" if full else _STALE
    total = await session.scalar(text("SELECT count(*) FROM prestations"))
    indexed = 0
    last_id: uuid.UUID | None = None
    while True:
        ids = await _stale_ids(session, stale, embedder.model_id, last_id, batch_size)
        if not ids:
            break
        rows = list(await session.scalars(select(Prestation).where(Prestation.id.in_(ids))))
        indexed += await index_rows(session, rows, embedder=embedder)
        await session.commit()
        last_id = ids[-1]
        log.info("search.reindex_batch", indexed=indexed, model=embedder.model_id)

    if indexed:
        # Fresh statistics let search tell common lexemes from rare ones (pg_stats).
        await session.execute(text("ANALYZE prestations"))
        await session.commit()
    report = ReindexReport(
        model_id=embedder.model_id,
        dimensions=embedder.dimensions,
        column_resized_from=resized_from,
        indexed=indexed,
        already_current=int(total or 0) - indexed,
    )
    log.info("search.reindexed", **report.__dict__)
    return report


async def _stale_ids(
    session: AsyncSession,
    stale: str,
    model_id: str,
    after: uuid.UUID | None,
    batch_size: int,
) -> list[uuid.UUID]:
    # Keyset pagination on id: rows just indexed are never read twice in one reindex.
    after_clause = "AND id > :after" if after is not None else ""
    query = text(
        f"SELECT id FROM prestations WHERE ({stale}) {after_clause} ORDER BY id LIMIT :limit"
    )
    parameters: dict[str, Any] = {"limit": batch_size}
    if ":model" in stale:
        parameters["model"] = model_id
    if after is not None:
        parameters["after"] = after
    result = await session.execute(query, parameters)
    return [row[0] for row in result.all()]


async def _resize_column(session: AsyncSession, dimensions: int) -> int | None:
    """Alter `embedding` to `vector(dimensions)` when its size differs; return the old size."""
    current = await embedding_column_dimensions(session)
    if current == dimensions:
        return None
    log.warning("search.embedding_column_resized", old=current, new=dimensions)
    await session.execute(text(f"DROP INDEX IF EXISTS {HNSW_INDEX}"))
    await session.execute(
        text(f"ALTER TABLE prestations ALTER COLUMN embedding TYPE vector({int(dimensions)}) "
             "USING NULL")
    )
    await session.execute(text("UPDATE prestations SET embedding_model = NULL"))
    await session.execute(
        text(
            f"CREATE INDEX {HNSW_INDEX} ON prestations "
            f"USING hnsw (embedding vector_cosine_ops) "
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
        )
    )
    await session.commit()
    # asyncpg's prepared statements still describe the old column type: drop the pooled
    # connections so none of them fails on its next query with InvalidCachedStatementError.
    await session.invalidate()
    if isinstance(session.bind, AsyncEngine):
        await session.bind.dispose()
    return current


__all__ = [
    "EmbeddingSizeMismatch",
    "ReindexReport",
    "index_prestation",
    "index_rows",
    "reindex",
]
