"""The OpenAPI document, made true for every route in one place.

FastAPI documents what a route returns on success, and a 422 shape the app never sends. This
module adds, to every operation of every router (present and future), the error statuses it
can answer with and the contract's error body, worked out from the operation itself:

- it needs a token (its `security` lists the bearer scheme, which every route depending on
  `get_principal` gets): 401, and 403 (a logged-in caller may lack the role or office);
- it has path parameters: 404 (unknown, or invisible to the caller);
- it has any parameter or a body: 422, with the app's real shape (`InvalidInputBody`);
- it has a body: 413 (the body size limit);
- it needs a token and names something (a body or a path): 409 (a closed alarm cannot be
  acted on, an open one has no incident report yet, a name is taken);
- every operation: 503 (the database cannot be reached; retry).

A route may declare more in `responses=` (e.g. `{401: {"description": ...}}`); any 4xx/5xx
declared without a body gets the contract's error body.
"""

import json
from typing import Any

from fastapi import FastAPI

from app.errors import ErrorBody, InvalidInputBody

DESCRIPTIONS = {
    401: "No token, or a token that is invalid, expired or revoked.",
    403: "Authenticated, but the caller's roles or office do not allow this.",
    404: "Unknown, or not visible to the caller.",
    409: "The current state does not allow this (e.g. the alarm is closed, the name is taken).",
    413: "The request body is larger than the server accepts.",
    422: "Invalid input: `detail` says which field and why.",
    503: "The database cannot be reached; try again after `Retry-After` seconds.",
}
METHODS = {"get", "head", "post", "put", "patch", "delete", "options", "trace"}


def install(app: FastAPI) -> None:
    """Serve the corrected document at `/openapi.json` (built once, on first request)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe_errors(generate())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer with, by the rules in the module docstring."""
    where = {p.get("in") for p in operation.get("parameters", [])}
    has_body = "requestBody" in operation
    token = bool(operation.get("security"))
    statuses = {503}
    if token:
        statuses |= {401, 403}
    if "path" in where:
        statuses.add(404)
    if where or has_body:
        statuses.add(422)
    if has_body:
        statuses.add(413)
    if token and (has_body or "path" in where):
        statuses.add(409)
    return statuses


def _body(model: type) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _is_fastapi_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def describe_errors(schema: dict[str, Any]) -> None:
    """Add the error statuses and bodies to every operation of `schema`, in place."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, InvalidInputBody):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}))
        schemas[model.__name__] = body
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(method, operation)):
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if not status.isdigit() or int(status) < 400:
                    continue
                if status == "422" and ("content" not in response or _is_fastapi_422(response)):
                    response.update(description=DESCRIPTIONS[422], content=_body(InvalidInputBody))
                elif "content" not in response:
                    response["content"] = _body(ErrorBody)
    for name in ("HTTPValidationError", "ValidationError"):
        others = {k: v for k, v in schemas.items() if k != name}
        rest = {k: v for k, v in schema.items() if k != "components"}
        if f'#/components/schemas/{name}"' not in json.dumps([rest, others]):
            schemas.pop(name, None)
