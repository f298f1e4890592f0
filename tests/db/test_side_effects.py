"""Side effects recorded under idempotency keys."""

import asyncio

from backend.db import side_effects
from backend.db.models import SideEffect, SideEffectKind
from backend.db.session import Database


async def _record(db: Database, key: str, external_id: str) -> SideEffect:
    async with db.session() as session:
        return await side_effects.record_side_effect(
            session,
            kind=SideEffectKind.QUOTE_LINE,
            key=key,
            external_id=external_id,
            url=f"https://notion.so/{external_id}",
            data={"line_no": 3},
        )


async def test_record_then_find(db: Database) -> None:
    recorded = await _record(db, "site-2027-0001#3", "page-3")

    async with db.session() as session:
        found = await side_effects.find_side_effect(
            session, kind=SideEffectKind.QUOTE_LINE, key="site-2027-0001#3"
        )
        missing = await side_effects.find_side_effect(
            session, kind=SideEffectKind.QUOTE_LINE, key="site-2027-0001#4"
        )

    assert found is not None
    assert found.id == recorded.id
    assert found.external_id == "page-3"
    assert found.url == "https://notion.so/page-3"
    assert found.data == {"line_no": 3}
    assert missing is None


async def test_second_record_keeps_first(db: Database) -> None:
    first = await _record(db, "site-2027-0001#3", "page-3")
    second = await _record(db, "site-2027-0001#3", "page-3-duplicate")

    assert second.id == first.id
    assert second.external_id == "page-3"


async def test_concurrent_records_store_one(db: Database) -> None:
    stored = await asyncio.gather(
        *(_record(db, "site-2027-0002#1", f"page-{index}") for index in range(10))
    )

    assert len({row.id for row in stored}) == 1
    assert len({row.external_id for row in stored}) == 1


async def test_same_key_other_kind_is_separate(db: Database) -> None:
    line = await _record(db, "site-2027-0003", "page-1")
    async with db.session() as session:
        event = await side_effects.record_side_effect(
            session, kind=SideEffectKind.CALENDAR_EVENT, key="site-2027-0003", external_id="evt"
        )

    assert event.id != line.id
    assert event.external_id == "evt"
    assert event.data == {}
