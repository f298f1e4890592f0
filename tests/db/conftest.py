"""The storage tests use the root conftest's `database` and `db` fixtures."""
