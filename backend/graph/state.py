"""State of an intake run as LangGraph checkpoints it: plain JSON-ready values only."""

import operator
from typing import Annotated, Any, NotRequired, TypedDict


def _latest(_previous: str, new: str) -> str:
    # Parallel branches each report their step in the same superstep.
    return new


class StepError(TypedDict):
    """A step that failed or was skipped, as the run's error list records it."""

    step: str
    message: str
    retryable: bool
    service: str | None
    status: int | None
    code: NotRequired[str | None]  # the service's error code, such as "invalid_grant"


class IntakeState(TypedDict, total=False):
    """The state of a run. Each step adds the ids and URLs of what it created."""

    run_id: str
    submission_ref: str  # submissions.id in PostgreSQL (the form's id is in `inquiry`)
    payload: dict[str, Any]
    received_at: str  # ISO 8601, used in place of a missing or unreadable submitted_at
    inquiry: dict[str, Any]  # ValidatedInquiry as JSON, with the availability problems
    client: dict[str, Any]
    prestation: dict[str, Any]
    quote_lines: list[dict[str, Any]]
    sheet: dict[str, Any]
    event: dict[str, Any]
    email: dict[str, Any]
    index: dict[str, Any]
    errors: Annotated[list[StepError], operator.add]
    current_step: Annotated[str, _latest]
