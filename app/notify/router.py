"""Twilio webhooks. Each checks X-Twilio-Signature against the URL built from
TRYGG_PUBLIC_URL; without a valid one it answers 403 and stores nothing."""

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator

from app.db import SessionDep
from app.errors import Forbidden
from app.notify import texts, webhooks

router = APIRouter(prefix="/twilio", tags=["twilio"], responses={
    403: {"description": "No valid `X-Twilio-Signature`: nothing is stored."}})
XML = "application/xml"


async def signed_form(request: Request) -> dict[str, str]:
    settings = request.app.state.settings
    params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"),
                            keep_blank_values=True))
    signature = request.headers.get("x-twilio-signature", "")
    url = settings.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    if not (settings.twilio_auth_token and signature
            and RequestValidator(settings.twilio_auth_token).validate(url, params, signature)):
        raise Forbidden("missing or invalid X-Twilio-Signature", code="invalid_signature")
    return params


@router.post("/status", status_code=204)
async def status(request: Request, session: SessionDep) -> Response:
    """Delivery status of a text or call; a repeated callback adds nothing."""
    params = await signed_form(request)
    await webhooks.status_callback(session, params=params)
    return Response(status_code=204)


@router.post("/sms")
async def inbound_sms(request: Request, session: SessionDep) -> Response:
    """A reply to an alarm text: `1` or `KOMMER` says "I'm coming"."""
    params = await signed_form(request)
    answer = await webhooks.sms_reply(session, from_number=params.get("From", ""),
                                      body=params.get("Body", ""),
                                      message_sid=params.get("MessageSid", ""))
    return Response(texts.reply_twiml(answer), media_type=XML)


@router.post("/voice/gather")
async def voice_gather(request: Request, session: SessionDep, alarm_id: str = "",
                       user_id: str = "") -> Response:
    """A keypress during an alarm call: 1 says "I'm coming"."""
    params = await signed_form(request)
    said = await webhooks.voice_keypress(session, alarm_id=alarm_id, user_id=user_id,
                                         digits=params.get("Digits", ""))
    return Response(texts.spoken_twiml(said), media_type=XML)
