"""Hybrid search over prestations: vector and French full-text rankings fused by rank.

Each ranking returns its best `candidates` rows that pass the filters; reciprocal rank
fusion (Cormack, Clarke and Büttcher, SIGIR 2009) scores a row by the sum of
1 / (rrf_k + rank) over the rankings that found it, so a row both rankings like comes
first, and a name that only full-text finds, or a paraphrase that only the vectors find,
still comes up.
"""

import time
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import structlog
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings, get_settings
from backend.search.embeddings import Embedder, embedder_from_settings
from backend.search.filters import SearchFilters, parse_query
from backend.search.index import vector_literal
from backend.search.text import content_words, words

log = structlog.get_logger(__name__)

SearchMode = Literal["hybrid", "vector", "text"]


class SearchHit(BaseModel):
    """One prestation found, with what the add-on shows and why it was found."""

    id: uuid.UUID
    notion_page_id: str
    name: str | None
    client_name: str | None
    client_email: str | None
    event_type: str | None
    event_date: date | None
    guests: int | None
    status: str | None
    total_ttc: Decimal | None
    notion_url: str | None
    sheet_url: str | None
    score: float
    reason: str
    matched_words: list[str]
    vector_rank: int | None = None
    text_rank: int | None = None


_HIT_COLUMNS = """
    id, notion_page_id, name, client_name, client_email, event_type, event_date, guests,
    status, total_ttc, notion_url, sheet_url, search_text
"""


async def search_prestations(
    session: AsyncSession,
    query: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = 10,
    embedder: Embedder | None = None,
    mode: SearchMode = "hybrid",
    parse_filters: bool = True,
    today: date | None = None,
    settings: Settings | None = None,
) -> list[SearchHit]:
    """Find the prestations best matching `query`, best first.

    Filters written in the query ("juin 2027", "plus de 100 personnes") apply unless
    `parse_filters` is False; `filters` given explicitly take precedence over them.
    `mode` picks one ranking alone (for evaluation) or both fused.
    """
    settings = settings or get_settings()
    embedder = embedder or embedder_from_settings(settings)
    parsed = parse_query(query, today=today or date.today())
    if parse_filters:
        active = parsed.filters.merged_with(filters)
        ranked_text, labels = parsed.text, parsed.labels
    else:
        active = filters or SearchFilters()
        ranked_text, labels = query, ()
    if filters is not None:
        labels = (*labels, *_explicit_labels(filters))
    where, parameters = filter_clause(active)
    candidates = max(settings.search_candidates, limit)
    terms = content_words(ranked_text)

    started = time.perf_counter()
    vector_ids: list[uuid.UUID] = []
    text_ids: list[uuid.UUID] = []
    if terms and mode in ("hybrid", "vector"):
        vector = await embedder.embed_query(" ".join(terms))
        vector_ids = await vector_ranking(
            session, vector, embedder.model_id, where, parameters, candidates,
            ef_search=settings.search_hnsw_ef_search,
        )
    if terms and mode in ("hybrid", "text"):
        text_ids = await text_ranking(session, terms, where, parameters, candidates)
    if not terms:
        text_ids = await filtered_only(session, where, parameters, candidates)

    fused = fuse([vector_ids, text_ids], rrf_k=settings.search_rrf_k)[:limit]
    hits = await _load_hits(session, fused, vector_ids, text_ids, terms, labels)
    log.debug(
        "search.query",
        mode=mode,
        results=len(hits),
        filters=active.model_dump(exclude_defaults=True, mode="json"),
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return hits


def fuse(rankings: list[list[uuid.UUID]], *, rrf_k: int) -> list[tuple[uuid.UUID, float]]:
    """Merge rankings by reciprocal rank fusion; return (id, score), best first."""
    scores: dict[uuid.UUID, float] = {}
    for ranking in rankings:
        for rank, prestation_id in enumerate(ranking, start=1):
            scores[prestation_id] = scores.get(prestation_id, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


def filter_clause(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    """Return an SQL condition on `prestations` and its parameters for these filters."""
    conditions = ["TRUE"]
    parameters: dict[str, Any] = {}
    if filters.date_from is not None:
        conditions.append("event_date >= :date_from")
        parameters["date_from"] = filters.date_from
    if filters.date_to is not None:
        conditions.append("event_date <= :date_to")
        parameters["date_to"] = filters.date_to
    if filters.months:
        conditions.append("CAST(EXTRACT(MONTH FROM event_date) AS integer) = ANY(:months)")
        parameters["months"] = list(filters.months)
    if filters.guests_min is not None:
        conditions.append("guests >= :guests_min")
        parameters["guests_min"] = filters.guests_min
    if filters.guests_max is not None:
        conditions.append("guests <= :guests_max")
        parameters["guests_max"] = filters.guests_max
    if filters.event_types:
        conditions.append("event_type = ANY(:event_types)")
        parameters["event_types"] = list(filters.event_types)
    if filters.statuses:
        conditions.append("status = ANY(:statuses)")
        parameters["statuses"] = list(filters.statuses)
    if filters.client_email:
        conditions.append("lower(client_email) = :client_email")
        parameters["client_email"] = filters.client_email.strip().lower()
    return " AND ".join(conditions), parameters


async def vector_ranking(
    session: AsyncSession,
    vector: list[float],
    model_id: str,
    where: str,
    parameters: dict[str, Any],
    candidates: int,
    *,
    ef_search: int,
) -> list[uuid.UUID]:
    """Return the ids nearest to `vector` (cosine) among rows embedded by `model_id`.

    The HNSW index answers first. pgvector 0.6 filters after the index scan, so a
    selective filter can leave fewer rows than asked for; then an exact scan of the
    filtered rows, which the B-tree indexes keep small, answers instead.
    """
    await session.execute(text(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), candidates)}"))
    arguments = {**parameters, "vector": vector_literal(vector), "model": model_id,
                 "limit": candidates}
    ordered = "embedding <=> CAST(:vector AS vector)"
    base = (
        f"SELECT id FROM prestations WHERE embedding_model = :model AND ({where}) "
        f"ORDER BY {{order}} LIMIT :limit"
    )
    result = await session.execute(text(base.format(order=ordered)), arguments)
    ids = [row[0] for row in result.all()]
    if len(ids) < candidates and where != "TRUE":
        # "+ 0" keeps the planner off the HNSW index: an exact distance sort of the rows
        # the filters let through.
        result = await session.execute(text(base.format(order=f"({ordered}) + 0")), arguments)
        ids = [row[0] for row in result.all()]
    return ids


async def text_ranking(
    session: AsyncSession,
    terms: list[str],
    where: str,
    parameters: dict[str, Any],
    candidates: int,
) -> list[uuid.UUID]:
    """Return the ids ranked by French full-text match of any of `terms` (ts_rank).

    Terms are joined by OR, so one word that is not in a prestation ("quote", "what")
    does not hide it; rows matching more and rarer-weighted parts rank higher.
    """
    arguments = {**parameters, "terms": " ".join(terms), "limit": candidates}
    result = await session.execute(
        text(
            f"""
            WITH q AS (
                SELECT CAST(replace(CAST(plainto_tsquery('french', :terms) AS text),
                                    '&', '|') AS tsquery) AS query
            )
            SELECT id FROM prestations, q
            WHERE numnode(q.query) > 0 AND search_tsv @@ q.query AND ({where})
            ORDER BY ts_rank(search_tsv, q.query) DESC, event_date DESC NULLS LAST
            LIMIT :limit
            """
        ),
        arguments,
    )
    return [row[0] for row in result.all()]


async def filtered_only(
    session: AsyncSession, where: str, parameters: dict[str, Any], candidates: int
) -> list[uuid.UUID]:
    """Return the rows passing the filters, latest event first, for a query of filters only."""
    result = await session.execute(
        text(
            f"SELECT id FROM prestations WHERE {where} "
            "ORDER BY event_date DESC NULLS LAST LIMIT :limit"
        ),
        {**parameters, "limit": candidates},
    )
    return [row[0] for row in result.all()]


async def _load_hits(
    session: AsyncSession,
    fused: list[tuple[uuid.UUID, float]],
    vector_ids: list[uuid.UUID],
    text_ids: list[uuid.UUID],
    terms: list[str],
    labels: tuple[str, ...],
) -> list[SearchHit]:
    if not fused:
        return []
    result = await session.execute(
        text(f"SELECT {_HIT_COLUMNS} FROM prestations WHERE id = ANY(:ids)"),
        {"ids": [prestation_id for prestation_id, _ in fused]},
    )
    rows = {row.id: row for row in result.all()}
    vector_rank = {prestation_id: rank for rank, prestation_id in enumerate(vector_ids, 1)}
    text_rank = {prestation_id: rank for rank, prestation_id in enumerate(text_ids, 1)}
    hits = []
    for prestation_id, score in fused:
        row = rows.get(prestation_id)
        if row is None:
            continue
        matched = matched_words(terms, row.search_text or "")
        hits.append(
            SearchHit(
                id=row.id,
                notion_page_id=row.notion_page_id,
                name=row.name,
                client_name=row.client_name,
                client_email=row.client_email,
                event_type=row.event_type,
                event_date=row.event_date,
                guests=row.guests,
                status=row.status,
                total_ttc=row.total_ttc,
                notion_url=row.notion_url,
                sheet_url=row.sheet_url,
                score=round(score, 6),
                reason=_reason(matched, vector_rank.get(prestation_id), labels),
                matched_words=matched,
                vector_rank=vector_rank.get(prestation_id),
                text_rank=text_rank.get(prestation_id),
            )
        )
    return hits


def matched_words(terms: list[str], document: str) -> list[str]:
    """Return the query terms found in the document, by word or shared 5-letter stem."""
    document_words = set(words(document))
    stems = {word[:5] for word in document_words if len(word) >= 5}
    found = []
    for term in dict.fromkeys(terms):
        if term in document_words or (len(term) >= 5 and term[:5] in stems):
            found.append(term)
    return found


def _reason(matched: list[str], vector_rank: int | None, labels: tuple[str, ...]) -> str:
    parts = []
    if matched:
        parts.append("words: " + ", ".join(matched))
    if vector_rank is not None and vector_rank <= 10:
        parts.append("similar meaning")
    if labels:
        parts.append("filter: " + ", ".join(labels))
    return "; ".join(parts) or "nearest match"


def _explicit_labels(filters: SearchFilters) -> tuple[str, ...]:
    values = filters.model_dump(exclude_defaults=True, mode="json")
    return tuple(f"{name}={value}" for name, value in values.items())
