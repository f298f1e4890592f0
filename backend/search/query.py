"""Hybrid search over prestations: vector and French full-text rankings fused by rank.

Each ranking returns its best `candidates` rows that pass the filters. Reciprocal rank
fusion scores a row by the sum of 1 / (rrf_k + rank) over the rankings that found it.
A row both rankings place high comes first, and a name that only full-text finds, or a
paraphrase that only the vectors find, still comes up.
"""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import structlog
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.config import Settings, get_settings
from backend.search.embeddings import Embedder, embedder_from_settings
from backend.search.filters import SearchFilters, parse_query
from backend.search.index import vector_literal
from backend.search.text import content_words, words

log = structlog.get_logger(__name__)

SearchMode = Literal["hybrid", "vector", "text"]

# Filtered rows sorted by exact distance when an index finds them and the planner
# expects at most this many; more go through HNSW.
EXACT_SCAN_ROWS = 2000
# A lexeme in more prestations than this is left out of the full-text ranking, because
# ranking that many rows takes too long (estimated from pg_stats and pg_class). It is
# also the most rows one full-text query ranks.
COMMON_LEXEME_ROWS = 2000
# How long the list of common lexemes read from pg_stats is reused, in seconds.
COMMON_LEXEMES_TTL_SECONDS = 300.0


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
    ef_search = max(settings.search_hnsw_ef_search, candidates)
    await configure_search_transaction(session, ef_search=ef_search)
    # Both rankings at once, the full-text one on a second connection: a query then takes
    # as long as the slower ranking, not as long as both together. A session bound to one
    # connection cannot run two statements at once, so it runs them in turn.
    parallel = mode == "hybrid" and isinstance(session.bind, AsyncEngine)
    if terms and mode in ("hybrid", "vector"):
        vector = await embedder.embed_query(" ".join(terms))
        by_vector = vector_ranking(
            session, vector, embedder.model_id, where, parameters, candidates,
            scanned=ef_search, indexed_where=indexed_filter_clause(active),
        )
        if parallel:
            by_text = _text_ranking_apart(session, terms, where, parameters, candidates)
            vector_ids, text_ids = await asyncio.gather(by_vector, by_text)
        else:
            vector_ids = await by_vector
    if terms and mode in ("hybrid", "text") and not parallel:
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
        # Intake stores emails in lower case; the comparison keeps ix_prestations_client_email.
        conditions.append("client_email = :client_email")
        parameters["client_email"] = filters.client_email.strip().lower()
    return " AND ".join(conditions), parameters


def indexed_filter_clause(filters: SearchFilters) -> str | None:
    """Return the part of the filters a B-tree index finds (date range, email), if any."""
    indexed = SearchFilters(
        date_from=filters.date_from, date_to=filters.date_to, client_email=filters.client_email
    )
    if indexed.is_empty():
        return None
    return filter_clause(indexed)[0]


async def configure_search_transaction(
    session: AsyncSession, *, ef_search: int | None = None
) -> None:
    """Set the current transaction's planner options for search queries, in one round trip.

    `plan_cache_mode = force_custom_plan`: asyncpg prepares each statement, and after five
    executions PostgreSQL may switch to a generic plan that ignores the parameter values.
    The rows a tsquery matches differ by orders of magnitude from one query to the next.
    So a generic plan of the full-text ranking scanned the date index for every name +
    year query (75 ms against 3 ms at 100,000 prestations).
    `hnsw.ef_search`: the candidate list size of the HNSW scan, which also bounds the
    rows one scan returns.
    """
    if ef_search is None:
        await session.execute(
            text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
        )
        return
    await session.execute(
        text(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('hnsw.ef_search', :ef_search, true)"
        ),
        {"ef_search": str(int(ef_search))},
    )


async def vector_ranking(
    session: AsyncSession,
    vector: list[float],
    model_id: str,
    where: str,
    parameters: dict[str, Any],
    candidates: int,
    *,
    scanned: int,
    indexed_where: str | None = None,
) -> list[uuid.UUID]:
    """Return the ids nearest to `vector` (cosine) among rows embedded by `model_id`.

    Without filters the HNSW index is used. pgvector 0.6 cannot filter inside the index
    scan, so with filters: when `indexed_where` (the date range or client email, which
    B-tree indexes find) lets at most EXACT_SCAN_ROWS rows through, an exact distance
    sort of the filtered rows is used. Otherwise the HNSW index returns the `scanned`
    nearest rows (at most `hnsw.ef_search`, set by `configure_search_transaction`) and
    the filters keep those that pass, which may be fewer than `candidates` for a
    selective filter.
    """
    arguments = {**parameters, "vector": vector_literal(vector), "model": model_id,
                 "limit": candidates, "scanned": scanned}
    distance = "embedding <=> CAST(:vector AS vector)"
    if where == "TRUE":
        query = (
            f"SELECT id FROM prestations WHERE embedding_model = :model "
            f"ORDER BY {distance} LIMIT :limit"
        )
    elif indexed_where is not None and await _few_rows_pass(session, indexed_where, parameters):
        # "+ 0" keeps the planner off the HNSW index.
        query = (
            f"SELECT id FROM prestations WHERE embedding_model = :model AND ({where}) "
            f"ORDER BY ({distance}) + 0 LIMIT :limit"
        )
    else:
        # The inner query has no filter, so the planner takes the HNSW index. Its rows
        # keep the index's order through row_number(), which spares computing each
        # distance again from the row's out-of-line (TOAST) vector.
        query = f"""
            SELECT id FROM (
                SELECT id, event_date, guests, event_type, status, client_email,
                       row_number() OVER () AS position
                FROM (
                    SELECT id, event_date, guests, event_type, status, client_email
                    FROM prestations WHERE embedding_model = :model
                    ORDER BY {distance}
                    LIMIT :scanned
                ) AS by_distance
            ) AS nearest
            WHERE {where} ORDER BY position LIMIT :limit
        """
    result = await session.execute(text(query), arguments)
    return [row[0] for row in result.all()]


async def _few_rows_pass(session: AsyncSession, where: str, parameters: dict[str, Any]) -> bool:
    """Tell whether the planner expects at most EXACT_SCAN_ROWS rows to pass `where`.

    An estimate (well under a millisecond) is used rather than a count, which read up to
    7 ms of rows at 100,000 prestations. When the estimate is too low, the exact scan
    is slower than planned but its results stay exact; only the HNSW path can miss
    rows of a selective filter, and it is taken only for estimates above the limit.
    """
    plan = await session.scalar(
        text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM prestations WHERE {where}"), parameters
    )
    return _plan_rows(plan) <= EXACT_SCAN_ROWS


def _plan_rows(plan: Any) -> float:
    # asyncpg returns EXPLAIN's json column as text; the top node contains "Plan Rows".
    document = json.loads(plan) if isinstance(plan, str) else plan
    return float(document[0]["Plan"]["Plan Rows"])


async def text_ranking(
    session: AsyncSession,
    terms: list[str],
    where: str,
    parameters: dict[str, Any],
    candidates: int,
) -> list[uuid.UUID]:
    """Return the ids ranked by French full-text match of any of `terms` (ts_rank).

    Terms are joined by OR, so one word that is not in a prestation ("quote", "what")
    does not hide it. Lexemes found in more than COMMON_LEXEME_ROWS prestations are left
    out, as stop words are: ranking the tens of thousands of rows that contain "mariage"
    or "personnes" would take longer than the whole query may, and such a lexeme barely
    distinguishes rows. A query of common lexemes only matches them all (AND) when their
    estimated joint count is small, and is otherwise left to the vector ranking.
    """
    lexemes = await query_lexemes(session, terms)
    common = await common_lexemes(session)
    rare = [lexeme for lexeme in lexemes if lexeme not in common]
    if rare:
        query = " | ".join(_quote_lexeme(lexeme) for lexeme in rare)
    elif len(lexemes) > 1 and _estimated_rows(lexemes, common) <= COMMON_LEXEME_ROWS:
        # Two common words together can still be rare: "claire & gauthier".
        query = " & ".join(_quote_lexeme(lexeme) for lexeme in lexemes)
    else:
        return []
    # The inner LIMIT bounds the rows ranked. Words that often occur together ("Tête
    # d'Or") defeat the joint count estimate, and any of the rows matching them all fits.
    result = await session.execute(
        text(
            f"""
            SELECT id FROM (
                SELECT id, event_date, search_tsv FROM prestations
                WHERE search_tsv @@ CAST(:query AS tsquery) AND ({where})
                LIMIT :ranked
            ) AS matching
            ORDER BY ts_rank(search_tsv, CAST(:query AS tsquery)) DESC,
                     event_date DESC NULLS LAST
            LIMIT :limit
            """
        ),
        {**parameters, "query": query, "limit": candidates, "ranked": COMMON_LEXEME_ROWS},
    )
    return [row[0] for row in result.all()]


async def _text_ranking_apart(
    session: AsyncSession,
    terms: list[str],
    where: str,
    parameters: dict[str, Any],
    candidates: int,
) -> list[uuid.UUID]:
    """Run `text_ranking` in a session of its own, on another pooled connection."""
    async with AsyncSession(session.bind) as own_session:
        await configure_search_transaction(own_session)
        return await text_ranking(own_session, terms, where, parameters, candidates)


async def query_lexemes(session: AsyncSession, terms: list[str]) -> list[str]:
    """Return the French lexemes of the query terms, as the index stores them."""
    result = await session.execute(
        text("SELECT lexeme FROM unnest(to_tsvector('french', :terms))"),
        {"terms": " ".join(terms)},
    )
    return [row[0] for row in result.all()]


@dataclass(frozen=True)
class CommonLexemes:
    """Lexemes in more than COMMON_LEXEME_ROWS prestations, with their estimated counts."""

    counts: dict[str, float]
    rows: float

    def __contains__(self, lexeme: object) -> bool:
        return lexeme in self.counts


_common_cache: dict[str, tuple[float, CommonLexemes]] = {}


def _estimated_rows(lexemes: list[str], common: CommonLexemes) -> float:
    # Rows containing every lexeme, taking their occurrences as independent.
    estimate = common.rows
    for lexeme in lexemes:
        estimate *= common.counts[lexeme] / common.rows
    return estimate


async def common_lexemes(session: AsyncSession) -> CommonLexemes:
    """Return the lexemes of more than COMMON_LEXEME_ROWS prestations, with their counts.

    Frequencies come from pg_stats.most_common_elems, the row count from pg_class; both
    are estimates that ANALYZE refreshes (reindex runs it, and so does autovacuum). The
    set is kept for 5 minutes per database, and is empty before the first ANALYZE.
    """
    bind = session.bind
    engine = bind if isinstance(bind, AsyncEngine) or bind is None else bind.engine
    key = str(engine.url) if engine is not None else ""
    cached = _common_cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[0] < COMMON_LEXEMES_TTL_SECONDS:
        return cached[1]
    row = (
        await session.execute(
            text(
                "SELECT CAST(most_common_elems AS text) AS elems, "
                "most_common_elem_freqs AS freqs, "
                "(SELECT reltuples FROM pg_class WHERE oid = 'prestations'::regclass) AS rows "
                "FROM pg_stats WHERE tablename = 'prestations' AND attname = 'search_tsv'"
            )
        )
    ).first()
    counts: dict[str, float] = {}
    rows = float(max(row.rows, 0)) if row is not None else 0.0
    if row is not None and row.elems is not None:
        elements = _parse_text_array(row.elems)
        for element, frequency in zip(elements, row.freqs, strict=False):
            if frequency * rows > COMMON_LEXEME_ROWS:
                counts[element] = frequency * rows
    common = CommonLexemes(counts=counts, rows=rows)
    _common_cache[key] = (now, common)
    return common


def _parse_text_array(value: str) -> list[str]:
    # most_common_elems is an anyarray; as text it reads {word,"two words",...}. Lexemes
    # from to_tsvector contain no comma or brace, so a split suffices.
    return [item.strip('"') for item in value.strip("{}").split(",") if item]


def _quote_lexeme(lexeme: str) -> str:
    return "'" + lexeme.replace("'", "''") + "'"


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
