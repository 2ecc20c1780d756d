"""One Settings object, read from TRYGG_* environment variables."""

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "trygg", ""}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRYGG_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    bus_url: str = "memory://"
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    environment: str = "production"

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_base_url: str = "https://api.twilio.com"

    heartbeat_interval_s: int = 5
    login_token_ttl_hours: int = 12
    max_body_bytes: int = 64 * 1024
    ws_send_queue: int = 256
    # Home visits: how often each process looks for due visits; and, for tests only (refused
    # in production), a grace shorter than the office minimum of 30 s.
    visit_timer_poll_s: float = 0.5
    visit_grace_override_s: int | None = None

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if (
            self.secret_key is not None
            and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS
            and self.environment != "development"
        ):
            raise ValueError("TRYGG_SECRET_KEY is a placeholder; set a real secret or leave it unset")
        if self.visit_grace_override_s is not None and self.environment == "production":
            raise ValueError("TRYGG_VISIT_GRACE_OVERRIDE_S is for tests only (not in production)")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'trygg.db').resolve()}"

    @cached_property
    def signing_key(self) -> bytes:
        """The secret key, generated and kept in the data dir when not given."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            tmp.replace(path)
        return path.read_text().strip().encode()

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)


def get_settings() -> Settings:
    return Settings()
