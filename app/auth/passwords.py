"""The password policy: long enough, not a common password, not the username.

The common passwords are the 30,000 most frequent ones from leaked password dumps, as shipped
with the `zxcvbn` package. A common word padded with digits or symbols (`Password-123!`) is as
guessable as the word, so the core between such padding is checked too.
"""

from functools import cache

MIN_LENGTH = 12
MAX_LENGTH = 1000
PADDING = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "
SEQUENCES = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz",
             "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn")


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def problem(password: str, *, username: str | None = None) -> str | None:
    """Why `password` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"password must be at most {MAX_LENGTH} characters"
    lowered = password.lower()
    core = lowered.strip(PADDING)
    common = common_passwords()
    if lowered in common or core in common or len(set(lowered)) < 4:
        return "password is too common; choose a longer phrase of your own"
    if any(lowered in sequence for sequence in SEQUENCES):
        return "password is a keyboard or number sequence"
    if username and len(username) >= 3 and username.lower() in lowered:
        return "password must not contain the username"
    return None


def check(password: str, *, username: str | None = None) -> str:
    """The password, or ValueError saying why it is refused (for pydantic validators)."""
    reason = problem(password, username=username)
    if reason is not None:
        raise ValueError(reason)
    return password
