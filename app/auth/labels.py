"""How a person is shown where their name must not be: by the part they played, in Norwegian
(the register's language), e.g. in the safety representative's register and in anonymised alarms."""

from collections.abc import Iterable

RAISER = "Ansatt"
RESPONDER = "Responsperson"
SYSTEM = "System"
# Most telling first: a manager who also responds is shown as a manager.
BY_ROLE = (("manager", "Leder"), ("responder", RESPONDER), ("safety_rep", "Verneombud"),
           ("admin", "Administrator"), ("staff", RAISER))


def role_label(roles: Iterable[str], *, raiser: bool = False, responded: bool = False) -> str:
    """The label for one person in one alarm: the raiser is "Ansatt", whoever said "I'm coming"
    is "Responsperson", anyone else is shown by their most telling role."""
    if raiser:
        return RAISER
    if responded:
        return RESPONDER
    held = set(roles)
    return next((label for role, label in BY_ROLE if role in held), RAISER)
