"""Where the client keeps its settings and device token: a folder only its user can read."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

HOME_ENV = "TRYGG_CLIENT_HOME"
CONFIG_FILE = "config.json"
STORE_FILE = "client.sqlite3"


def client_home() -> Path:
    """`TRYGG_CLIENT_HOME`, or the user's config folder for Trygg."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    return platformdirs.user_config_path("trygg", appauthor=False)


def ensure_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    return home


def api_url(server_url: str) -> str:
    base = server_url.rstrip("/")
    return base if base.endswith("/api/v1") else f"{base}/api/v1"


def ws_url(server_url: str) -> str:
    url = api_url(server_url) + "/ws"
    if url.startswith("https://"):
        return "wss://" + url.removeprefix("https://")
    return "ws://" + url.removeprefix("http://")


@dataclass
class ClientConfig:
    server_url: str
    token: str
    user_id: str
    username: str
    full_name: str
    office_id: str | None = None
    roles: list[str] = field(default_factory=list)
    device_id: str | None = None
    room_id: str | None = None
    # Free settings of the applications on the library (language, hotkeys, ...).
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return api_url(self.server_url)

    @property
    def ws_url(self) -> str:
        return ws_url(self.server_url)

    @classmethod
    def load(cls, home: Path | None = None) -> "ClientConfig | None":
        path = (home or client_home()) / CONFIG_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def save(self, home: Path | None = None) -> Path:
        """Write the config atomically with mode 0600: it holds the device token."""
        home = ensure_home(home or client_home())
        path = home / CONFIG_FILE
        tmp = home / f".{CONFIG_FILE}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(self), out, indent=2, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return path
