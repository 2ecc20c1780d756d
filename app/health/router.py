from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "down"]
    bus: Literal["ok", "down"]
    sms: Literal["enabled", "disabled"]


class HealthDown(Health):
    """A 503 is an error like any other (`error`, `detail`) and still says what is down."""

    error: Literal["database_unavailable"]
    detail: str


@router.get("/health", response_model=Health,
            responses={503: {"model": HealthDown, "description": "The database is unreachable."}})
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
    if database != "ok":
        body |= {"error": "database_unavailable", "detail": "the database cannot be reached"}
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
