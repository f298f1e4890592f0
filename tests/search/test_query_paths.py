"""The vector ranking's two filtered paths, and the planner options of a search transaction."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.session import Database
from backend.search import HashingEmbedder, SearchFilters, search_prestations
from backend.search import query as search_query
from backend.search.index import vector_literal

from .test_search import TODAY

JUNE_2027 = SearchFilters(date_from="2027-06-01", date_to="2027-06-30")


async def _nearest_in_june(db: Database, embedder: HashingEmbedder) -> list[str]:
    """Return the June 2027 prestations by exact cosine distance to "mariage plein air"."""
    vector = vector_literal(await embedder.embed_query("mariage plein air"))
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT notion_page_id FROM prestations "
                "WHERE event_date BETWEEN '2027-06-01' AND '2027-06-30' "
                "ORDER BY embedding <=> CAST(:vector AS vector)"
            ),
            {"vector": vector},
        )
        return [row[0] for row in rows]


async def _vector_search(db: Database, embedder: HashingEmbedder) -> list[str]:
    async with db.session() as session:
        hits = await search_prestations(
            session, "mariage plein air", filters=JUNE_2027, embedder=embedder,
            mode="vector", parse_filters=False, today=TODAY,
        )
    return [hit.notion_page_id for hit in hits]


async def test_filtered_vector_exact_path(seeded, embedder) -> None:
    expected = await _nearest_in_june(seeded, embedder)

    assert expected == ["page-dupont", "page-girard"]
    assert await _vector_search(seeded, embedder) == expected


async def test_filtered_vector_hnsw_path(seeded, embedder, monkeypatch) -> None:
    # With no room for an exact scan, the filter applies to the HNSW index's rows, which
    # keep their distance order. Five rows fit in one HNSW scan, so none is missed.
    monkeypatch.setattr(search_query, "EXACT_SCAN_ROWS", 0)
    expected = await _nearest_in_june(seeded, embedder)

    assert await _vector_search(seeded, embedder) == expected


async def test_few_rows_pass_reads_estimate(seeded) -> None:
    where, parameters = search_query.filter_clause(JUNE_2027)
    async with seeded.session() as session:
        assert await search_query._few_rows_pass(session, where, parameters)
        plan = await session.scalar(
            text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM prestations WHERE {where}"), parameters
        )

    assert search_query._plan_rows(plan) >= 1


async def test_search_transaction_forces_custom_plans(seeded, embedder) -> None:
    async with seeded.session() as session:
        await search_prestations(session, "mariage 2027", embedder=embedder, today=TODAY)
        plan_mode = await session.scalar(text("SHOW plan_cache_mode"))
        ef_search = await session.scalar(text("SHOW hnsw.ef_search"))
        await session.rollback()
        plan_mode_after = await session.scalar(text("SHOW plan_cache_mode"))

    assert plan_mode == "force_custom_plan"
    assert int(ef_search) >= 40
    assert plan_mode_after == "auto"


async def test_connection_bound_session_runs_rankings_in_turn(seeded, embedder) -> None:
    async with seeded.session() as session:
        expected = await search_prestations(
            session, "mariage plein air", embedder=embedder, today=TODAY
        )
    async with seeded.engine.connect() as connection:
        bound = AsyncSession(bind=connection)
        found = await search_prestations(bound, "mariage plein air", embedder=embedder,
                                         today=TODAY)
        await bound.close()

    assert [hit.id for hit in found] == [hit.id for hit in expected]
    assert found[0].text_rank is not None
