"""The outcome of a run: its status and the summary `deme run --json` and the API return."""

from typing import Any

from backend.graph.state import IntakeState

GOOGLE_SERVICES = frozenset({"drive", "sheets", "calendar", "gmail"})

# Without these, nothing useful exists in the workspace: the run failed.
ESSENTIAL_STEPS = ("validate", "upsert_client", "create_prestation")


# Google refused to refresh deme's credentials: only `deme auth google` can fix that.
# The code comes from `classify_google_error`; the words cover errors recorded before
# step errors carried a code.
REAUTH_MARKERS = ("invalid_grant", "could not be refreshed")


def needs_reauth(error: dict[str, Any]) -> bool:
    """Return True for a step error that new Google authorisation would fix."""
    if error.get("service") not in GOOGLE_SERVICES:
        return False
    if error.get("code") == "invalid_grant":
        return True
    return any(marker in error.get("message", "") for marker in REAUTH_MARKERS)


def outcome_status(state: IntakeState) -> str:
    """Return succeeded, partial (some branch failed), failed (no prestation) or needs_reauth.

    A run whose Google steps failed for lack of authorisation waits in needs_reauth;
    storing new credentials queues it again, and its steps then find what exists.
    """
    if any(needs_reauth(error) for error in state.get("errors", [])):
        return "needs_reauth"
    failed_steps = {error["step"] for error in state.get("errors", [])}
    if failed_steps & set(ESSENTIAL_STEPS) or "prestation" not in state:
        return "failed"
    return "partial" if failed_steps else "succeeded"


def _quote(inquiry: dict[str, Any]) -> dict[str, Any]:
    quote = inquiry["quote"]
    return {
        "lines": [
            {
                "item_id": line["item_id"],
                "label": line["label"],
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "vat_rate": line["vat_rate"],
                "total_ht": line["total_ht"],
            }
            for line in quote["lines"]
        ],
        "total_ht": quote["total_ht"],
        "vat_by_rate": quote["vat_by_rate"],
        "total_ttc": quote["total_ttc"],
    }


def _pick(record: dict[str, Any] | None, **names: str) -> dict[str, Any] | None:
    if not record:
        return None
    return {public: record.get(internal) for public, internal in names.items()}


def build_run_result(
    run_id: str, status: str, state: IntakeState, steps: list[Any]
) -> dict[str, Any]:
    """Return the JSON summary of a run from its final state and its step records."""
    inquiry = state.get("inquiry")
    created = {
        key: bool(state.get(key, {}).get("created"))
        for key in ("client", "prestation", "sheet", "event", "email")
        if state.get(key)
    }
    created["quote_lines"] = sum(1 for line in state.get("quote_lines", []) if line["created"])
    return {
        "run_id": run_id,
        "status": status,
        "submission_id": inquiry["inquiry"]["submission_id"] if inquiry else None,
        "client": _pick(
            state.get("client"), id="page_id", name="name", email="email", url="url",
            created="created",
        ),
        "prestation": _pick(
            state.get("prestation"), id="page_id", name="name", status="status", url="url",
            created="created",
        )
        or (
            {"id": None, "name": inquiry["prestation_name"], "status": inquiry["status"],
             "url": None, "created": False}
            if inquiry
            else None
        ),
        "quote": _quote(inquiry) if inquiry else None,
        "quote_lines": state.get("quote_lines", []),
        "event": _pick(
            state.get("event"), id="event_id", start="start", end="end", all_day="all_day",
            url="url", created="created",
        ),
        "sheet": _pick(state.get("sheet"), id="sheet_id", url="url", created="created"),
        "email": _pick(
            state.get("email"), id="message_id", recipients="recipients", subject="subject",
            created="created",
        ),
        "problems": [problem["message"] for problem in inquiry["problems"]] if inquiry else [],
        "created": created,
        "nothing_new": not any(created.values()),
        "errors": list(state.get("errors", [])),
        "email_eml": (state.get("email") or {}).get("eml"),
        "steps": [
            {
                "name": step.step,
                "status": step.status,
                "duration_ms": step.duration_ms,
                "attempt": step.attempt,
                "error": step.error,
            }
            for step in steps
        ],
    }
