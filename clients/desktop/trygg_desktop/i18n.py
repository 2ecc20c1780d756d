"""Norwegian bokmål first, English second."""

import locale
import os

TEXTS: dict[str, dict[str, str]] = {
    "nb": {
        "app": "Trygg",
        "yellow": "Alarm – trenger bistand",
        "red": "Akutt fare – ring 112",
        "raise_yellow": "Gul alarm (trenger bistand)",
        "raise_red": "Rød alarm (akutt fare)",
        "test_alarm": "Testalarm",
        "drill": "ØVELSE",
        "test": "TEST",
        "protected": "Beskyttet",
        "degraded": "{online} av {minimum} respondenter pålogget",
        "unprotected": "IKKE BESKYTTET",
        "room": "Rom: {room}",
        "no_room": "Rom ikke oppgitt",
        "raised_by": "Utløst av: {name}",
        "time": "Tid: {time}",
        "coming": "Kommer: {names}",
        "nobody_coming": "Ingen har svart ennå",
        "im_coming": "Jeg kommer",
        "you_are_coming": "Du har svart: Jeg kommer",
        "status_active": "Aktiv",
        "status_responding": "Noen er på vei",
        "status_cancelled": "Avlyst, sjekk likevel",
        "status_resolved": "Avsluttet",
        "upgraded": "Oppgradert til RØD",
        "mute": "Demp lyd",
        "muted": "Lyd dempet",
        "dismiss": "Lukk",
        "alarms_title": "Trygg – alarm",
        "cancel_false": "Avbryt: falsk alarm",
        "false_alarm_reason": "Falsk alarm",
        "raise_pending": "Ikke fremme ennå, prøver igjen …",
        "raise_stored": "Lagret på serveren",
        "raise_reached": "Nådd {count}",
        "raise_rejected": "Avvist av serveren",
        "raise_cancelled": "Avbrutt",
        "test_ok": "Testalarm OK: {ms} ms tur/retur",
        "show_button": "Vis/skjul alarmknapp",
        "quit": "Avslutt",
        "setup_title": "Trygg – oppsett",
        "server": "Server",
        "username": "Brukernavn",
        "password": "Passord",
        "log_in": "Logg inn",
        "choose_room": "Velg rommet du sitter i",
        "enroll": "Registrer denne PC-en",
        "error": "Feil: {detail}",
    },
    "en": {
        "app": "Trygg",
        "yellow": "Alarm – need assistance",
        "red": "Danger – call 112",
        "raise_yellow": "Yellow alarm (need assistance)",
        "raise_red": "Red alarm (danger)",
        "test_alarm": "Test alarm",
        "drill": "DRILL",
        "test": "TEST",
        "protected": "Protected",
        "degraded": "{online} of {minimum} responders online",
        "unprotected": "UNPROTECTED",
        "room": "Room: {room}",
        "no_room": "Room not given",
        "raised_by": "Raised by: {name}",
        "time": "Time: {time}",
        "coming": "Coming: {names}",
        "nobody_coming": "Nobody has answered yet",
        "im_coming": "I'm coming",
        "you_are_coming": "You answered: I'm coming",
        "status_active": "Active",
        "status_responding": "Someone is on the way",
        "status_cancelled": "Cancelled, please check anyway",
        "status_resolved": "Resolved",
        "upgraded": "Upgraded to RED",
        "mute": "Mute",
        "muted": "Muted",
        "dismiss": "Close",
        "alarms_title": "Trygg – alarm",
        "cancel_false": "Cancel: false alarm",
        "false_alarm_reason": "False alarm",
        "raise_pending": "Not yet at the server, retrying …",
        "raise_stored": "Stored at the server",
        "raise_reached": "Reached {count}",
        "raise_rejected": "Refused by the server",
        "raise_cancelled": "Cancelled",
        "test_ok": "Test alarm OK: {ms} ms round trip",
        "show_button": "Show/hide alarm button",
        "quit": "Quit",
        "setup_title": "Trygg – setup",
        "server": "Server",
        "username": "Username",
        "password": "Password",
        "log_in": "Log in",
        "choose_room": "Choose the room you sit in",
        "enroll": "Enroll this PC",
        "error": "Error: {detail}",
    },
}


def pick_language(setting: str | None = None) -> str:
    """The setting if given; otherwise English on an English system locale, else bokmål."""
    if setting in TEXTS:
        return setting  # type: ignore[return-value]
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "nb"
    system = (locale.getlocale()[0] or "").lower()
    return "en" if system.startswith("en") else "nb"


class Texts:
    def __init__(self, language: str = "nb") -> None:
        self.language = language if language in TEXTS else "nb"

    def __call__(self, key: str, **values: object) -> str:
        text = TEXTS[self.language].get(key) or TEXTS["nb"][key]
        return text.format(**values) if values else text
