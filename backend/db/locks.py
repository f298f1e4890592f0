"""Keys of the PostgreSQL advisory locks deme takes.

Advisory lock keys share one 64-bit space per database, so every key lives here
to keep them distinct. The values are arbitrary constants: changing one while
an older process still runs would let both hold "the same" lock.
"""

# Serialises `CREATE EXTENSION` and Alembic upgrades between processes that start together.
SCHEMA_LOCK_KEY = 0x64656D6501  # "deme" + 1
# Held by the single process refilling the template pool.
POOL_REFILL_LOCK_KEY = 0x64656D6502
