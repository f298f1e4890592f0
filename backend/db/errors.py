"""Exceptions raised by the storage layer."""


class DatabaseError(Exception):
    """Base class for storage errors that a person can act on."""


class EmbeddedDatabaseError(DatabaseError):
    """The embedded PostgreSQL could not be initialised, started or reached."""


class DatabaseSetupError(DatabaseError):
    """The database is reachable but not usable: a missing extension or a failed migration."""


class PoolSeedError(DatabaseError):
    """The template pool seed file is missing or invalid."""
