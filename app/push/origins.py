"""Which URLs the server may POST a push to: only origins listed in TRYGG_PUSH_ENDPOINTS.

A subscription's endpoint is a URL chosen by the browser, that is, by whoever holds a login; the
server POSTs to it. Without this check it would call any address inside the office network on an
attacker's behalf. The check is strict on purpose: the scheme, host and port must equal a listed
origin (`https://*.example.com` stands for its subdomains only, never the bare name), and a URL
with userinfo (`https://fcm.googleapis.com@evil.example`) or any unusual character in its
authority is refused outright rather than parsed the way one HTTP client or another might.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_ENDPOINT_LENGTH = 2048
# host[:port], or [IPv6][:port]; nothing else may stand between "//" and the path.
_AUTHORITY = re.compile(r"^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str  # lower case; for a wildcard the suffix without "*."
    port: int
    wildcard: bool = False

    def admits(self, scheme: str, host: str, port: int) -> bool:
        if (scheme, port) != (self.scheme, self.port):
            return False
        if self.wildcard:
            return host.endswith("." + self.host) and len(host) > len(self.host) + 1
        return host == self.host


def _split(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL with a plain authority, else None."""
    if len(url) > MAX_ENDPOINT_LENGTH or any(ch.isspace() or ord(ch) < 0x21 for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not _AUTHORITY.match(parts.netloc) or "\\" in url:
        return None
    host = (parts.hostname or "").lower()
    if not host or ":" not in host and any(not label or label.startswith("-")
                                           for label in host.split(".")):
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def parse_origin(text: str) -> Origin:
    """One TRYGG_PUSH_ENDPOINTS entry: `https://host[:port]` or `https://*.suffix[:port]`."""
    text = text.strip().rstrip("/")
    wildcard = "://*." in text
    split = _split(text.replace("://*.", "://", 1) if wildcard else text)
    if split is None or urlsplit(text).path not in ("", "/"):
        raise ValueError(f"not an origin: {text!r}")
    scheme, host, port = split
    return Origin(scheme, host, port, wildcard)


@lru_cache(maxsize=8)
def parse_origins(setting: str) -> tuple[Origin, ...]:
    return tuple(parse_origin(item) for item in setting.split(",") if item.strip())


def is_allowed(url: str, setting: str) -> bool:
    """Whether `url` points at one of the origins in `setting` (TRYGG_PUSH_ENDPOINTS)."""
    split = _split(url)
    return split is not None and any(o.admits(*split) for o in parse_origins(setting))


def origin_of(url: str) -> str:
    """scheme://host[:port] of an allowed URL, the port left out where it is the default: the
    `aud` of its VAPID token."""
    scheme, host, port = _split(url)  # type: ignore[misc]
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if DEFAULT_PORTS[scheme] == port else f"{scheme}://{host}:{port}"
