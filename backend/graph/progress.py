"""Progress events of a run's steps, for a live display or a log."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StepEvent:
    """A step changed status: running, succeeded, failed or skipped."""

    run_id: str
    step: str
    status: str
    duration_ms: int | None = None
    detail: str | None = None


ProgressSink = Callable[[StepEvent], None]


def ignore_progress(_event: StepEvent) -> None:
    """Progress sink for callers that show nothing (the API, workers)."""
