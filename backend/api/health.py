"""GET /health: database reachable and the services deme is pointed at."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from backend.api.deps import RuntimeDep
from backend.db.models import Run, RunStatus
from backend.integrations.google_auth import REAUTH_FIX

router = APIRouter()


@router.get("/health")
async def health(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        async with runtime.db.session() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(exc).__name__}"
    settings = runtime.settings
    checks["notion"] = "emulator" if settings.uses_notion_emulator else "notion.com"
    checks["google"] = "emulator" if settings.uses_google_emulator else "google"
    checks["google_auth"] = await _google_auth(runtime) if checks["database"] == "ok" else None
    healthy = checks["database"] == "ok"
    status = "ok" if healthy else "degraded"
    if healthy and checks["google_auth"]["status"] == "needs_reauth":
        # Inquiries are still accepted and stored, so this is not a 503.
        status = "needs_reauth"
    return JSONResponse({"status": status, **checks}, status_code=200 if healthy else 503)


async def _google_auth(runtime: RuntimeDep) -> dict[str, Any]:
    """Return whether Google needs new authorisation, and the runs waiting for it."""
    async with runtime.db.session() as session:
        waiting = await session.scalar(
            select(func.count()).select_from(Run).where(Run.status == RunStatus.NEEDS_REAUTH)
        )
    credentials = getattr(runtime.workspace.google, "_credentials", None)
    revoked = bool(getattr(credentials, "needs_reauth", False))
    if not waiting and not revoked:
        return {"status": "ok", "runs_waiting": 0}
    return {"status": "needs_reauth", "runs_waiting": int(waiting or 0), "fix": REAUTH_FIX}
