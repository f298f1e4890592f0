"""Hybrid search, indexing and re-embedding on the real embedded PostgreSQL."""

import os
import subprocess
import sys
from datetime import date

import httpx
from pipeline.helpers import run_payload, sample
from sqlalchemy import text

from backend.db.models import EMBEDDING_DIMENSIONS
from backend.db.prestations import update_prestation
from backend.db.session import Database
from backend.runtime import Runtime
from backend.search import HashingEmbedder, SearchFilters, reindex, search_prestations
from backend.search.index import embedding_column_dimensions

from .conftest import API_TOKEN

TODAY = date(2026, 12, 5)


async def _top(db: Database, query: str, embedder: HashingEmbedder, **options) -> list[str]:
    async with db.session() as session:
        hits = await search_prestations(session, query, embedder=embedder, today=TODAY,
                                        **options)
    return [hit.notion_page_id for hit in hits]


async def test_search_finds_name_typed_without_accents(seeded, embedder) -> None:
    assert (await _top(seeded, "helene lefevre", embedder))[0] == "page-lefevre"


async def test_search_finds_paraphrase_in_english(seeded, embedder) -> None:
    assert (await _top(seeded, "client who wanted gluten-free", embedder))[0] == "page-carrere"


async def test_search_applies_filters_from_query(seeded, embedder) -> None:
    found = await _top(seeded, "mariages de plus de 100 personnes en juin 2027", embedder)

    assert found == ["page-dupont"]


async def test_search_relative_season(seeded, embedder) -> None:
    found = await _top(seeded, "the seminar in Confluence last autumn", embedder)

    assert found == ["page-castaing"]


async def test_search_explicit_filters(seeded, embedder) -> None:
    found = await _top(
        seeded, "mariage", embedder, filters=SearchFilters(client_email="PAUL.GIRARD@example.fr")
    )

    assert found == ["page-girard"]


async def test_search_hit_carries_fields_and_reason(seeded, embedder) -> None:
    async with seeded.session() as session:
        hits = await search_prestations(session, "Dupont wedding", embedder=embedder,
                                        today=TODAY)

    hit = hits[0]
    assert hit.name == "Mariage – Claire Dupont – 19/06/2027"
    assert hit.client_name == "Claire Dupont"
    assert hit.guests == 140
    assert str(hit.total_ttc) == "9120.50"
    assert hit.status == "Devis envoyé"
    assert "words: dupont" in hit.reason
    assert "filter: Mariage" in hit.reason


async def test_filters_only_query_lists_by_date(seeded, embedder) -> None:
    found = await _top(seeded, "plus de 50 personnes", embedder)

    assert found == ["page-dupont", "page-girard", "page-castaing"]


async def test_reindex_is_idempotent(seeded, embedder) -> None:
    async with seeded.session() as session:
        before = (await session.execute(
            text("SELECT id, embedding::text, search_tsv::text FROM prestations ORDER BY id")
        )).all()
        report = await reindex(session, embedder=embedder)
        after = (await session.execute(
            text("SELECT id, embedding::text, search_tsv::text FROM prestations ORDER BY id")
        )).all()

    assert report.indexed == 0
    assert report.already_current == 5
    assert before == after


async def test_reindex_picks_up_amended_prestation(seeded, embedder) -> None:
    async with seeded.session() as session:
        await update_prestation(session, notion_page_id="page-girard",
                                notes="Le client veut un feu d'artifice.")
        report = await reindex(session, embedder=embedder)

    assert report.indexed == 1
    assert (await _top(seeded, "feu d'artifice", embedder))[0] == "page-girard"


async def test_reembed_on_model_change_leaves_no_mixed_vectors(seeded, embedder) -> None:
    smaller = HashingEmbedder(64)
    try:
        async with seeded.session() as session:
            report = await reindex(session, embedder=smaller)
            models = (await session.execute(
                text("SELECT DISTINCT embedding_model, vector_dims(embedding) FROM prestations")
            )).all()
            size = await embedding_column_dimensions(session)

        assert report.column_resized_from == EMBEDDING_DIMENSIONS
        assert report.indexed == 5
        assert models == [("hashing-v1/64", 64)]
        assert size == 64
        assert (await _top(seeded, "helene lefevre", smaller))[0] == "page-lefevre"
        # The old model's query vectors find nothing by meaning, only by words.
        assert await _top(seeded, "gluten", embedder, mode="vector") == []
    finally:
        async with seeded.session() as session:
            await reindex(session, embedder=embedder)
            restored = await embedding_column_dimensions(session)
    assert restored == EMBEDDING_DIMENSIONS


async def test_api_search_requires_token(search_client: httpx.AsyncClient) -> None:
    response = await search_client.get("/prestations/search", params={"q": "Dupont"})

    assert response.status_code == 401


async def test_api_search_returns_hits(search_client: httpx.AsyncClient) -> None:
    response = await search_client.get(
        "/prestations/search",
        params={"q": "mariage Dupont", "limit": 3, "guests_min": 100},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [hit["notion_page_id"] for hit in results] == ["page-dupont"]
    assert results[0]["total_ttc"] == "9120.50"
    assert results[0]["event_date"] == "2027-06-19"
    assert "dupont" in results[0]["reason"]
    assert "guests_min=100" in results[0]["reason"]


def test_cli_search_prints_table(seeded, embedder) -> None:
    env = {**os.environ, "DATABASE_URL": seeded.urls.libpq, "COLUMNS": "200"}
    env.pop("OPENAI_API_KEY", None)

    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", "search", "mariage", "Dupont"],
        env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "Prestations for 'mariage Dupont'" in result.stdout
    assert "Claire Dupont" in result.stdout
    assert "9120.50 €" in result.stdout
    assert result.stdout.index("Claire Dupont") < result.stdout.index("Paul Girard")


async def test_pipeline_index_step_fills_embedding_and_tsvector(runtime: Runtime) -> None:
    result = await run_payload(runtime, sample("wedding-lyon"))

    async with runtime.db.session() as session:
        row = (await session.execute(text(
            "SELECT notion_page_id, embedding_model, vector_dims(embedding) AS dims, "
            "search_tsv::text AS tsv, indexed_at FROM prestations"
        ))).one()
        hits = await search_prestations(session, "claire martin lozanne",
                                        embedder=HashingEmbedder(384))
    assert result["status"] == "succeeded"
    assert row.embedding_model == "hashing-v1/384"
    assert row.dims == 384
    assert "'martin'" in row.tsv
    assert "'lozann'" in row.tsv
    assert row.indexed_at is not None
    assert hits[0].notion_page_id == row.notion_page_id
