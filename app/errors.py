"""Domain errors carry their HTTP status; one set of handlers renders the contract's error shape."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: Any = None, *, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.code.replace("_", " ")
        self.headers = headers
        if code:
            self.code = code


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_attempts"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class ValidationIssue(BaseModel):
    """One reason a request was refused as invalid input."""

    field: str = Field(description="The field, dotted (`position.lat`); `body` for the body itself.")
    msg: str
    loc: list[str] | None = Field(None, description="Where: `body`, `query`, `path`, then the field.")
    type: str | None = Field(None, description="A machine code for schema-level problems.")


class ErrorBody(BaseModel):
    """Every non-2xx answer: a machine code and a human text (or, for 422, a list)."""

    error: str = Field(description="Machine code, e.g. `not_found`, `alarm_closed`.")
    detail: str | list[ValidationIssue]


class InvalidInputBody(BaseModel):
    """A 422: which fields are wrong and why."""

    error: str = Field(description="`invalid_input`, or `malformed_json` for a body that is not JSON.")
    detail: list[ValidationIssue]


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (for `Allow`), not only the first route's:
    each method is tried against the app's routes as if the request had used it."""
    allowed = []
    for method in METHODS:
        probe = {**request.scope, "method": method, "fastapi": {}}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def error_body(code: str, detail: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail}


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    503: "service_unavailable",
}


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    detail = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        item = {"loc": loc, "field": ".".join(loc[1:]) or loc[0] if loc else "", "msg": err["msg"],
                "type": err["type"]}
        detail.append(item)
    return detail


def is_unavailable(exc: BaseException) -> bool:
    """The database (or its network) is away, as opposed to a bug in our query."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, OSError | TimeoutError | PoolTimeout | InterfaceError | OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
        headers.update(exc.headers or {})
        return JSONResponse(error_body(exc.code, exc.detail), exc.status_code, headers=headers)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not is_unavailable(exc):
            raise exc
        # Nothing was committed that the client can rely on: it retries (with the same alarm id).
        return JSONResponse(error_body("database_unavailable",
                                       "the database cannot be reached; try again"), 503,
                            headers={"Retry-After": "1"})

    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    for kind in (DBAPIError, PoolTimeout, OSError):
        app.add_exception_handler(kind, _unavailable)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        code = "invalid_input"
        if any(e.get("type") == "json_invalid" for e in errors):
            code = "malformed_json"
        return JSONResponse(error_body(code, _validation_detail(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # A body that is not even text (bad UTF-8) is malformed JSON like any other.
            return JSONResponse(error_body("malformed_json", [{
                "loc": ["body"], "field": "body", "msg": "body is not valid UTF-8 JSON",
                "type": "json_invalid"}]), 422)
        code = HTTP_CODES.get(exc.status_code, "error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return JSONResponse(error_body(code, exc.detail), exc.status_code, headers=headers)
