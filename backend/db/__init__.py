"""Storage: SQLAlchemy models, sessions, Alembic migrations and the embedded PostgreSQL."""

from backend.db.embedded import DatabaseUrls, ensure_database
from backend.db.session import Database

__all__ = ["Database", "DatabaseUrls", "ensure_database"]
