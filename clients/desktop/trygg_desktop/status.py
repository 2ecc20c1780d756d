"""How protection looks: one text and one colour, the same on the tray icon and the button."""

from dataclasses import dataclass

from trygg_client import Protection, Readiness

from trygg_desktop.i18n import Texts

GREEN, AMBER, RED = "#1b7f3b", "#e08a00", "#c8102e"
LEVEL_COLOURS = {"yellow": ("#ffd400", "#000000"), "red": ("#c8102e", "#ffffff")}


@dataclass(frozen=True)
class StatusLook:
    state: Protection
    text: str
    colour: str
    loud: bool


def look(state: Protection, readiness: Readiness | None, tr: Texts) -> StatusLook:
    if state is Protection.UNPROTECTED:
        return StatusLook(state, tr("unprotected"), RED, True)
    if state is Protection.DEGRADED and readiness is not None:
        text = tr("degraded", online=readiness.responders_online,
                  minimum=readiness.min_responders_online)
        return StatusLook(state, text, AMBER, False)
    return StatusLook(state, tr("protected"), GREEN, False)
