"""POST /webhooks/form: store the inquiry, answer with its run id, run it in the background."""

from fastapi import APIRouter, HTTPException, Request, status

from backend.api.deps import RuntimeDep
from backend.graph.submissions import accept_submission
from backend.intake.errors import InvalidPayloadError

router = APIRouter()


@router.post("/webhooks/form")
async def receive_form(request: Request, runtime: RuntimeDep) -> dict[str, str | bool]:
    """Answer 200 once the submission and its queued run are committed.

    A redelivery of a known submission answers 200 with the same run id and starts
    nothing. A body that is not a JSON object answers 400 and stores nothing.
    """
    limit = runtime.settings.max_body_bytes
    raw_body = await request.body()
    if len(raw_body) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"body is larger than {limit} bytes"
        )
    try:
        accepted = await accept_submission(
            runtime.db,
            runtime.catalog,
            raw_body=raw_body,
            content_type=request.headers.get("content-type", ""),
        )
    except InvalidPayloadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc

    if accepted.created:
        request.app.state.worker.notify()
    return {
        "run_id": str(accepted.run_id),
        "submission_id": accepted.submission_id,
        "duplicate": not accepted.created,
    }
