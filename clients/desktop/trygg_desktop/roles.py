"""Answering together: the three answers, the order to offer them, the raiser's summary."""

from typing import Any

from trygg_desktop.i18n import Texts

ROLES = ("go", "police", "reception")


def role_of(responder: dict[str, Any]) -> str:
    return responder.get("role") or "go"  # answered before roles existed: going


def role_order(alarm: dict[str, Any]) -> list[str]:
    """The answers in the order to offer them: for red the roles nobody has taken yet first (go,
    police, reception), then the taken ones; for yellow "I'm coming" always first."""
    if alarm.get("level") != "red":
        return list(ROLES)
    taken = {role_of(r) for r in alarm.get("responders") or []}
    return [r for r in ROLES if r not in taken] + [r for r in ROLES if r in taken]


def summary(alarm: dict[str, Any], tr: Texts) -> str:
    """"2 kommer, politiet varslet": short enough for the raiser's discreet status line."""
    roles = [role_of(r) for r in alarm.get("responders") or []]
    parts = []
    if roles.count("go"):
        parts.append(tr("summary_go", n=roles.count("go")))
    if "police" in roles:
        parts.append(tr("summary_police"))
    if "reception" in roles:
        parts.append(tr("summary_reception"))
    return ", ".join(parts) if parts else tr("nobody_coming")
