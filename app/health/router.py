from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Liveness of the parts an alarm depends on; 503 when the database is unreachable."""
    state = request.app.state
    database = "ok"
    try:
        async with state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:
        database = "down"
    bus = "ok" if await state.bus.ping() else "down"
    body = {
        "status": "ok" if database == "ok" and bus == "ok" else "degraded",
        "database": database,
        "bus": bus,
        "sms": "enabled" if state.settings.sms_enabled else "disabled",
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)
