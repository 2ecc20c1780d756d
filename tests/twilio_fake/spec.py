"""Twilio's API as openapi_subset.json (its OpenAPI description) and its error catalogue give it.

check_request() says how a request breaks the spec: the request schemas give the form parameters,
their types, enums, lengths and patterns; `RULES` adds what Twilio documents in prose or in its
error catalogue rather than in the schema. new_resource() and error_body() build its answers.
"""

from __future__ import annotations

import email.utils
import json
import re
import secrets
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from jsonschema import Draft7Validator, FormatChecker

Kind = Literal["sms", "call"]

SPEC = json.loads(Path(__file__).with_name("openapi_subset.json").read_text(encoding="utf-8"))
PATHS: dict[Kind, str] = {
    "sms": "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    "call": "/2010-04-01/Accounts/{AccountSid}/Calls.json",
}
RESPONSE_SCHEMAS: dict[Kind, str] = {
    "sms": "api.v2010.account.message",
    "call": "api.v2010.account.call",
}

E164 = re.compile(r"\+[1-9]\d{1,14}")
_CHANNEL_ADDRESS = re.compile(r"[a-z][a-z0-9-]*:\S+")  # whatsapp:+4791234567, messenger:…
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_SHORT_CODE = re.compile(r"\d{3,8}")
_CLIENT_OR_SIP = re.compile(r"(client:\S+|sip:\S+@\S+)")


@dataclass(frozen=True)
class Problem:
    """Why the fake refused a request: the Twilio error code and message it answered with."""

    code: int
    message: str


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def request_schema(kind: Kind) -> dict[str, Any]:
    body = SPEC["paths"][PATHS[kind]]["post"]["requestBody"]
    return body["content"]["application/x-www-form-urlencoded"]["schema"]


def response_schema(kind: Kind) -> dict[str, Any]:
    return SPEC["components"]["schemas"][RESPONSE_SCHEMAS[kind]]


def enum_of(schema_name: str) -> list[str]:
    return SPEC["components"]["schemas"][schema_name]["enum"]


def _as_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 schema object to plain JSON Schema: inline $ref, turn `nullable` into a type."""
    schema = resolve(schema)
    out = {k: v for k, v in schema.items() if k not in ("properties", "items", "nullable")}
    if "properties" in schema:
        out["properties"] = {k: _as_json_schema(v) for k, v in schema["properties"].items()}
    if "items" in schema:
        out["items"] = _as_json_schema(schema["items"])
    if schema.get("x-twilio", {}).get("ignoreFormat"):
        out.pop("format", None)
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


FORMATS = FormatChecker(formats=())


@FORMATS.checks("phone-number")
def _phone_number(value: object) -> bool:
    return not isinstance(value, str) or any(
        p.fullmatch(value) for p in (E164, _CHANNEL_ADDRESS, _ALPHANUMERIC_SENDER, _SHORT_CODE)
    )


@FORMATS.checks("endpoint")
def _endpoint(value: object) -> bool:
    return not isinstance(value, str) or bool(
        E164.fullmatch(value) or _CLIENT_OR_SIP.fullmatch(value)
    )


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    # Twilio's docs: the URL must contain a valid hostname, and underscores are not allowed.
    return parts.scheme in ("http", "https") and bool(parts.hostname) and "_" not in parts.hostname


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
def _date_time_rfc_2822(value: object) -> bool:
    return not isinstance(value, str) or email.utils.parsedate_to_datetime(value) is not None


@FORMATS.checks("twiml", raises=ElementTree.ParseError)
def _twiml(value: object) -> bool:
    return not isinstance(value, str) or ElementTree.fromstring(value).tag == "Response"


def _validator(schema: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator(schema, format_checker=FORMATS)


_REQUEST_VALIDATORS = {
    kind: _validator(
        {k: v for k, v in _as_json_schema(request_schema(kind)).items() if k != "required"}
    )
    for kind in PATHS
}
_RESPONSE_VALIDATORS = {
    kind: _validator(
        {
            **_as_json_schema(response_schema(kind)),
            "required": list(response_schema(kind)["properties"]),
        }
    )
    for kind in PATHS
}

# Twilio's error codes for a missing or invalid parameter; anything else answers its generic 400.
_MISSING: dict[tuple[Kind, str], Problem] = {
    ("sms", "To"): Problem(21604, "A 'To' phone number is required."),
    ("call", "To"): Problem(21201, "No 'To' number is specified"),
    ("call", "From"): Problem(21213, "No 'From' number is specified"),
}
_INVALID_CODES = {
    "To": 21211,
    "From": 21212,
    "StatusCallback": 21609,
    "Url": 21205,
    "ValidityPeriod": 21624,
}
BAD_REQUEST = 400
UNKNOWN_PARAMETER = 20001


def _sms_rules(params: dict[str, Any]) -> list[Problem]:
    problems = []
    to = params.get("To")
    # The schema's phone-number format also admits senders (short codes, alphanumeric ids).
    if (
        isinstance(to, str)
        and _phone_number(to)
        and not (E164.fullmatch(to) or _CHANNEL_ADDRESS.fullmatch(to))
    ):
        problems.append(Problem(21211, f"The 'To' number {to} is not a valid phone number."))
    if not params.get("From") and not params.get("MessagingServiceSid"):
        problems.append(Problem(21603, "A 'From' phone number is required."))
    if not any(params.get(p) for p in ("Body", "MediaUrl", "ContentSid")):
        problems.append(Problem(21602, "Message body is required."))
    if len(params.get("Body") or "") > 1600:
        problems.append(
            Problem(21617, "The concatenated message body exceeds the 1600 character limit.")
        )
    validity = params.get("ValidityPeriod")
    if isinstance(validity, int) and not 1 <= validity <= 36000:
        problems.append(Problem(21624, f"Invalid validity period value {validity}: 1 to 36000"))
    return problems


def _call_rules(params: dict[str, Any]) -> list[Problem]:
    problems = []
    given = [p for p in ("Url", "Twiml", "ApplicationSid") if params.get(p)]
    if not given:
        problems.append(Problem(21205, "Url, Twiml or ApplicationSid is required."))
    elif "Url" in given and "Twiml" in given:
        # Twilio takes this and silently drops the Twiml: never what the sender meant.
        problems.append(Problem(BAD_REQUEST, "Url and Twiml both given; Twilio ignores the Twiml."))
    if len(params.get("Twiml") or "") > 4000:
        problems.append(Problem(BAD_REQUEST, "Twiml is longer than 4000 characters."))
    timeout = params.get("Timeout")
    if isinstance(timeout, int) and not 1 <= timeout <= 600:
        problems.append(Problem(BAD_REQUEST, f"Timeout {timeout} is outside 1 to 600 seconds."))
    return problems


RULES = {"sms": _sms_rules, "call": _call_rules}


def _coerce(schema: dict[str, Any], raw: str) -> Any:
    """A form value as the JSON type its schema names; a value that does not parse stays a string,
    so that the schema check reports it."""
    kind = resolve(schema).get("type")
    if kind == "integer" and re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    if kind == "number" and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", raw):
        return float(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def check_request(kind: Kind, form: dict[str, list[str]]) -> tuple[dict[str, Any], list[Problem]]:
    """The form parameters as recorded (a list where given more than once or where the schema says
    array) and every way they break the spec, most basic first."""
    schema = request_schema(kind)
    properties = schema["properties"]
    params: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in schema.get("required", []):
        if not any(form.get(name, [])):
            problems.append(
                _MISSING.get((kind, name), Problem(BAD_REQUEST, f"{name} is required."))
            )
    for name, raws in form.items():
        prop = resolve(properties.get(name, {}))
        if prop.get("type") == "array":
            params[name] = raws
            typed[name] = [_coerce(prop["items"], raw) for raw in raws]
            continue
        params[name] = raws[0] if len(raws) == 1 else raws
        if name not in properties:
            problems.append(Problem(UNKNOWN_PARAMETER, f"Unknown parameter '{name}'."))
        elif len(raws) > 1:
            problems.append(Problem(BAD_REQUEST, f"{name} given {len(raws)} times."))
        elif raws[0] or name not in schema.get("required", []):
            typed[name] = _coerce(prop, raws[0])
    for error in _REQUEST_VALIDATORS[kind].iter_errors(typed):
        name = error.path[0] if error.path else "<form>"
        problems.append(
            Problem(_INVALID_CODES.get(name, BAD_REQUEST), f"Invalid {name}: {error.message}")
        )
    problems += RULES[kind](typed)
    return params, problems


def response_errors(kind: Kind, body: dict[str, Any]) -> list[str]:
    """Where a resource body differs from Twilio's response schema; every property is required."""
    return [
        f"{'/'.join(map(str, e.path)) or '<body>'}: {e.message}"
        for e in _RESPONSE_VALIDATORS[kind].iter_errors(body)
    ]


API_VERSION = "2010-04-01"
_CALL_SUBRESOURCES = {
    "notifications": "Notifications",
    "recordings": "Recordings",
    "payments": "Payments",
    "events": "Events",
    "siprec": "Siprec",
    "streams": "Streams",
    "transcriptions": "Transcriptions",
    "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
    "user_defined_messages": "UserDefinedMessages",
}


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's JSON body of a failed request."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def new_resource(kind: Kind, account_sid: str, params: dict[str, Any]) -> dict[str, Any]:
    """A new Message or Call as Twilio answers its creation (api.v2010.account.*)."""
    stamp = email.utils.format_datetime(datetime.now(UTC))
    sid = ("SM" if kind == "sms" else "CA") + secrets.token_hex(16)
    resource = "Messages" if kind == "sms" else "Calls"
    base = f"/{API_VERSION}/Accounts/{account_sid}/{resource}/{sid}"
    common = {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "date_created": stamp,
        "date_updated": stamp,
        "direction": "outbound-api",
        "from": params.get("From"),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "to": params["To"],
        "uri": base + ".json",
    }
    if kind == "sms":
        return common | {
            "body": params.get("Body"),
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "num_media": str(len(params.get("MediaUrl", []))),
            "num_segments": "1",  # not computed from the body
            # Twilio says "accepted" while a Messaging Service still has to pick the sender.
            "status": "queued" if params.get("From") else "accepted",
            "subresource_uris": {"media": base + "/Media.json"},
        }
    return common | {
        "answered_by": None,
        "caller_name": None,
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from_formatted": params["From"],
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "queue_time": "0",
        "start_time": None,
        "status": "queued",
        "subresource_uris": {k: f"{base}/{v}.json" for k, v in _CALL_SUBRESOURCES.items()},
        "to_formatted": params["To"],
        "trunk_sid": None,
    }
