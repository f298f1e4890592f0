"""The prestation mirror: upserts, the availability query and vector search."""

import math
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from backend.db import prestations, runs
from backend.db.models import EMBEDDING_DIMENSIONS, Prestation
from backend.db.session import Database
from backend.integrations.workspace_schema import STATUS_CANCELLED, STATUS_NEW

WEDDING_DAY = date(2027, 6, 14)


async def _submission_id(db: Database, key: str) -> uuid.UUID:
    async with db.session() as session:
        submission, _run, _created = await runs.store_submission(
            session,
            provider="form",
            provider_submission_id=key,
            idempotency_key=f"form:{key}",
            raw_body=b"{}",
            content_type="application/json",
            headers={},
        )
    return submission.id


def _unit_vector(index: int) -> list[float]:
    vector = [0.0] * EMBEDDING_DIMENSIONS
    vector[index] = 1.0
    return vector


async def test_upsert_inserts_then_updates(db: Database) -> None:
    async with db.session() as session:
        created = await prestations.upsert_prestation(
            session,
            notion_page_id="page-1",
            name="Mariage – Claire Martin – 14/06/2027",
            guests=80,
            total_ht=Decimal("4200.50"),
            options=[{"id": "champagne"}],
        )
        updated = await prestations.upsert_prestation(
            session, notion_page_id="page-1", guests=95, sheet_url="https://sheet"
        )

    assert updated.id == created.id
    assert updated.guests == 95
    assert updated.name == "Mariage – Claire Martin – 14/06/2027"
    assert updated.total_ht == Decimal("4200.50")
    assert updated.options == [{"id": "champagne"}]
    assert updated.sheet_url == "https://sheet"
    assert updated.updated_at >= created.updated_at


async def test_upsert_rejects_unknown_field(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(TypeError, match="submission_key"):
            await prestations.upsert_prestation(
                session, notion_page_id="page-1", submission_key="site-1"
            )


async def test_update_prestation_of_missing_page(db: Database) -> None:
    async with db.session() as session:
        updated = await prestations.update_prestation(
            session, notion_page_id="missing", sheet_id="sheet-1"
        )

    assert updated is None


async def test_update_prestation_sets_fields(db: Database) -> None:
    async with db.session() as session:
        await prestations.upsert_prestation(session, notion_page_id="page-1", name="Séminaire")
        updated = await prestations.update_prestation(
            session, notion_page_id="page-1", calendar_event_id="evt1"
        )

    assert updated is not None
    assert updated.calendar_event_id == "evt1"
    assert updated.name == "Séminaire"


async def test_prestations_on_skips_cancelled_and_self(db: Database) -> None:
    own_submission = await _submission_id(db, "site-2027-0001")
    async with db.session() as session:
        await prestations.upsert_prestation(
            session,
            notion_page_id="booked",
            name="Mariage Dupont",
            notion_url="https://notion.so/booked",
            event_date=WEDDING_DAY,
            status=STATUS_NEW,
        )
        await prestations.upsert_prestation(
            session, notion_page_id="no-status", name="Anniversaire Leroy", event_date=WEDDING_DAY
        )
        await prestations.upsert_prestation(
            session,
            notion_page_id="cancelled",
            name="Baptême Martin",
            event_date=WEDDING_DAY,
            status=STATUS_CANCELLED,
        )
        await prestations.upsert_prestation(
            session,
            notion_page_id="self",
            name="Mariage Martin",
            event_date=WEDDING_DAY,
            submission_id=own_submission,
        )
        await prestations.upsert_prestation(
            session, notion_page_id="other-day", name="Cocktail", event_date=date(2027, 6, 15)
        )

        others = await prestations.prestations_on(
            session, event_date=WEDDING_DAY, exclude_submission_id=own_submission
        )
        everyone = await prestations.prestations_on(session, event_date=WEDDING_DAY)

    assert others == [
        ("Mariage Dupont", "https://notion.so/booked"),
        ("Anniversaire Leroy", None),
    ]
    assert len(everyone) == 3


async def test_embedding_cosine_distance(db: Database) -> None:
    async with db.session() as session:
        await prestations.upsert_prestation(
            session, notion_page_id="near", embedding=_unit_vector(0)
        )
        await prestations.upsert_prestation(
            session, notion_page_id="far", embedding=_unit_vector(1)
        )
        await prestations.upsert_prestation(session, notion_page_id="none")

        query = _unit_vector(0)
        query[1] = 0.1
        distance = Prestation.embedding.cosine_distance(query)
        rows = (
            await session.execute(
                select(Prestation.notion_page_id, distance)
                .where(Prestation.embedding.is_not(None))
                .order_by(distance)
            )
        ).all()
        stored = await prestations.get_prestation(session, notion_page_id="near")

    assert [page_id for page_id, _distance in rows] == ["near", "far"]
    assert math.isclose(rows[0][1], 1 - 1 / math.sqrt(1.01), rel_tol=1e-5)
    assert stored is not None
    assert stored.embedding is not None
    assert len(stored.embedding) == EMBEDDING_DIMENSIONS


async def test_embedding_rejects_wrong_size(db: Database) -> None:
    async with db.session() as session:
        with pytest.raises(DBAPIError, match="expected 384 dimensions"):
            await prestations.upsert_prestation(session, notion_page_id="bad", embedding=[1.0, 0.0])
