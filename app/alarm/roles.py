"""Answering together: which role an acknowledgement gets, and how the answers read to the
raiser."""

from collections import Counter
from collections.abc import Iterable

from app.alarm.models import ROLES

# The order roles are handed out in for a red alarm: go to the room, call the police, clear
# the reception; everyone after that goes too.
RED_ORDER = ROLES


def next_role(level: str, taken: Iterable[str]) -> str:
    """The role an acknowledgement without one gets: the first of go, police, reception still
    missing on a red alarm; go on a yellow one or when all are taken."""
    if level != "red":
        return "go"
    held = set(taken)
    return next((role for role in RED_ORDER if role not in held), "go")


def counts(roles: Iterable[str]) -> dict[str, int]:
    found = Counter(roles)
    return {role: found.get(role, 0) for role in ROLES}


def summary(role_counts: dict[str, int]) -> str | None:
    """The raiser's discreet line, e.g. "2 kommer, politiet varslet"; None while nobody has
    answered."""
    parts = []
    if role_counts.get("go"):
        parts.append(f"{role_counts['go']} kommer")
    if role_counts.get("police"):
        parts.append("politiet varslet")
    if role_counts.get("reception"):
        parts.append(f"{role_counts['reception']} tar resepsjonen")
    return ", ".join(parts) or None
