"""Scheduled pool refill: the Celery beat entry and its task.

The same refill is reachable over HTTP (`POST /pool/refill`, for GitHub Actions or
Cloud Scheduler) and from the command line (`deme pool refill`).
"""

from typing import Any

from backend.setup.pool import refill, source_of

REFILL_POOL_TASK = "deme.refill_pool"
REFILL_EVERY_SECONDS = 6 * 3600


def pool_refill_beat_entry() -> dict[str, Any]:
    """Return the beat schedule entry that refills the pool every 6 hours."""
    return {"task": REFILL_POOL_TASK, "schedule": REFILL_EVERY_SECONDS}


def register_pool_refill_task(app: Any, process: Any) -> None:
    """Register `deme.refill_pool` on a Celery app whose `process.run` opens a runtime."""

    @app.task(name=REFILL_POOL_TASK)
    def refill_pool_task() -> int:
        """Refill the template pool to TEMPLATE_POOL_TARGET; return the sheets added."""
        outcome = process.run(
            lambda runtime: refill(
                source_of(runtime.workspace),
                runtime.db,
                target=runtime.settings.template_pool_target,
            )
        )
        return outcome.added
