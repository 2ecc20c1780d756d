"""One Settings object, read from TRYGG_* environment variables."""

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "trygg", ""}
DEFAULT_PUSH_ENDPOINTS = ("https://fcm.googleapis.com,https://updates.push.services.mozilla.com,"
                          "https://web.push.apple.com,https://*.notify.windows.com")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRYGG_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    bus_url: str = "memory://"
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    environment: str = "production"
    api_docs: bool = False  # the interactive /docs and /redoc pages; /openapi.json is always served

    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_base_url: str = "https://api.twilio.com"

    # Web Push (app/push): the VAPID key (PEM; generated into the data dir when unset), the
    # contact in its token (default: public_url), and the origins a subscription may point at.
    vapid_private_key: str | None = None
    vapid_subject: str | None = None
    push_endpoints: str = DEFAULT_PUSH_ENDPOINTS

    heartbeat_interval_s: int = 5
    login_token_ttl_hours: float = 12
    max_body_bytes: int = 64 * 1024
    ws_send_queue: int = 256
    # Privacy: days after an alarm closes before its people are anonymised, unless the office
    # sets its own `retention_days` (README, "Privacy"); and how often the server checks.
    retention_days: int = Field(365, ge=30, le=3650)
    retention_check_s: float = Field(3600, gt=0)

    # Logins: failures allowed per account and per client address within the window, then 429.
    login_window_s: int = 900
    login_max_failures_per_account: int = 10
    login_max_failures_per_address: int = 100
    # Threads that may run argon2 at once, and logins that may wait for one (then 429).
    password_hash_workers: int = 2
    password_hash_queue: int = 32
    # A device token unused for this long stops working (re-enroll the device).
    device_token_idle_days: int = 90
    # Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's forwarded_allow_ips).
    forwarded_allow_ips: str = "127.0.0.1"

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
