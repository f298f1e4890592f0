"""Add the search index of prestations: HNSW on embeddings, model and freshness columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of backend.search.index.HNSW_* at this revision. On the 100,000 synthetic
# prestations of bench/search_speed.py, pgvector's defaults (m = 16, ef_construction = 64)
# gave recall@10 of 0.78 at ef_search 160, and these values give 0.96 at 240.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128


def upgrade() -> None:
    # Which embedding model wrote `embedding`: vectors of two models are never compared.
    op.add_column("prestations", sa.Column("embedding_model", sa.Text(), nullable=True))
    # When the search columns were last computed; older than updated_at = stale.
    op.add_column(
        "prestations",
        sa.Column("indexed_at", sa.dialects.postgresql.TIMESTAMP(timezone=True), nullable=True),
    )
    # Notes staff add to a prestation after the inquiry; searchable like the message.
    op.add_column("prestations", sa.Column("notes", sa.Text(), nullable=True))
    op.execute(
        "CREATE INDEX ix_prestations_embedding_hnsw ON prestations "
        f"USING hnsw (embedding vector_cosine_ops) "
        f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
    )


def downgrade() -> None:
    op.drop_index("ix_prestations_embedding_hnsw", table_name="prestations")
    op.drop_column("prestations", "notes")
    op.drop_column("prestations", "indexed_at")
    op.drop_column("prestations", "embedding_model")
