"""What a text says and what a call speaks: Norwegian, short, and never a visitor's name.

The free-text location note is left out on purpose: staff may type a visitor's name in it.
"""

from datetime import datetime
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
DRILL_PREFIX = "ØVELSE: "
HEADLINES = {
    "red": "RØD ALARM: Akutt fare, ring 112",
    "yellow": "GUL ALARM: Trenger bistand",
}
SPOKEN = {
    "red": "Rød alarm. Akutt fare. Ring politiet på 1 1 2.",
    "yellow": "Gul alarm. En kollega trenger bistand.",
}
SMS_LIMIT_GSM = 160
SMS_LIMIT_UCS2 = 70

# GSM 03.38 basic character set (one septet each); Norwegian æøåÆØÅ are in it.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def is_gsm7(text: str) -> bool:
    return all(ch in _GSM7 for ch in text)


def sms_limit(text: str) -> int:
    return SMS_LIMIT_GSM if is_gsm7(text) else SMS_LIMIT_UCS2


def local_time(at: datetime) -> str:
    return at.astimezone(OSLO).strftime("%H:%M")


def alarm_sms(*, level: str, mode: str, office: str, room: str | None, raiser: str,
              raised_at: datetime, link: str | None = None) -> str:
    """One segment where it can: level, office, room, raiser, time, how to answer, and a link
    to the phone page that shows the open alarms (dropped first when space runs out)."""
    prefix = DRILL_PREFIX if mode == "drill" else ""
    place = f"{office}, {room}" if room else office
    tail = "Svar 1 = Jeg kommer."
    head = f"{prefix}{HEADLINES[level]}. {place}."
    who = f" Fra {raiser} kl {local_time(raised_at)}."
    text = f"{head}{who} {tail}"
    if link and len(linked := f"{text} {link}") <= sms_limit(linked):
        return linked
    if len(text) <= sms_limit(text):
        return text
    # Shorten the name first, then the place; the level and the answer always stay.
    short = f"{head} Kl {local_time(raised_at)}. {tail}"
    if len(short) <= sms_limit(short):
        return short
    return f"{prefix}{HEADLINES[level]}. {room or office}. {tail}"[: sms_limit(short) * 2]


CLOSED = {
    "cancelled": ("Avblåst", "Du trenger ikke komme."),
    "resolved": ("Avsluttet", "Situasjonen er løst."),
}
LEVEL_NAMES = {"red": "Rød alarm", "yellow": "Gul alarm"}


def followup_sms(*, closed: str, level: str, mode: str, office: str, room: str | None,
                 raised_at: datetime) -> str:
    """One segment to everyone texted about an alarm once it is cancelled or resolved, so
    nobody runs to a room for nothing. Never the cancel reason or summary (free text)."""
    prefix = DRILL_PREFIX if mode == "drill" else ""
    word, tail = CLOSED[closed]
    head = f"{prefix}{word}: {LEVEL_NAMES[level]} kl {local_time(raised_at)}"
    for place in (f"{office}, {room}" if room else office, room or office, None):
        text = f"{head}, {place}. {tail}" if place else f"{head}. {tail}"
        if len(text) <= sms_limit(text):
            return text
    return text[: sms_limit(text)]


def alarm_twiml(*, level: str, mode: str, office: str, room: str | None, raiser: str,
                gather_url: str) -> str:
    """A call that says the alarm twice in Norwegian and takes 1 as "I'm coming"."""
    drill = "Dette er en øvelse. " if mode == "drill" else ""
    place = f"{office}, {room}" if room else office
    message = (f"{drill}{SPOKEN[level]} {place}. Utløst av {raiser}. "
               "Trykk 1 hvis du kommer.")
    say = f'<Say language="nb-NO">{escape(message)}</Say>'
    return (
        "<Response>"
        f'<Gather numDigits="1" timeout="8" method="POST" action={quoteattr(gather_url)}>'
        f'{say}<Pause length="1"/>{say}'
        "</Gather>"
        '<Say language="nb-NO">Ingen tast registrert.</Say>'
        "</Response>"
    )


def reply_twiml(message: str | None) -> str:
    if not message:
        return "<Response/>"
    return f"<Response><Message>{escape(message)}</Message></Response>"


def spoken_twiml(message: str) -> str:
    return f'<Response><Say language="nb-NO">{escape(message)}</Say></Response>'
