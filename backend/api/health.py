"""GET /health: database reachable and the services deme is pointed at."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from backend.api.deps import RuntimeDep

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
    healthy = checks["database"] == "ok"
    return JSONResponse({"status": "ok" if healthy else "degraded", **checks},
                        status_code=200 if healthy else 503)
