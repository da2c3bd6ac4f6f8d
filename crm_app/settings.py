"""The one settings object: every knob is a ``CRM_*`` variable or a line in ``.env``.

Everything else (rxconfig, alembic, celery, the CLI) reads from here so the URLs and paths
cannot drift apart between processes.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets that must never protect a production deployment.
_WEAK_SECRETS = {"", "changeme", "secret", "dev", "development", "crm", "demo", "password"}
MIN_SECRET_LENGTH = 32


class WeakSecretError(Exception):
    """Raised when production is started with a guessable secret key.

    Not a ``ValueError``: pydantic would wrap that into a ``ValidationError`` and callers could
    not catch this error by its type.
    """


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRM_", env_file=(PROJECT_ROOT / ".env", ".env"), env_file_encoding="utf-8",
        extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = PROJECT_ROOT / "var"
    tools_dir: Path = PROJECT_ROOT / "var" / "tools"  # bun from the npm registry (make setup)
    database_url: str = ""
    broker_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 3000
    public_url: str = ""

    session_days: int = 14
    login_max_failures: int = 5
    login_lock_minutes: int = 15

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "CRM <crm@localhost>"

    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""

    snapshot_minutes: int = 10
    # seconds a standby beat waits for a beat that died without releasing its Redis lock
    beat_lock_seconds: int = Field(default=90, ge=3, le=3600)
    backup_keep: int = Field(default=14, ge=1, le=10_000)
    timezone: str = "Europe/Madrid"
    locale: str = "es_ES"

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (Path.cwd() / value).resolve()

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'crm.db'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.data_dir / 'broker.db'}"
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        if self.env == "production":
            key = self.secret_key.strip()
            # "aaaa…" or "changemechangeme…" are long but not random: too few distinct chars
            if (key.lower() in _WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH
                    or len(set(key)) < 8):
                raise WeakSecretError(
                    "CRM_SECRET_KEY es débil o falta: en producción debe tener al menos "
                    f"{MIN_SECRET_LENGTH} caracteres aleatorios."
                )
        return self

    # Paths inside the data directory: generated files never live in the source tree.
    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def browser_url(self) -> str:
        """The URL baked into the frontend build. ``localhost`` is rewritten by Reflex's client
        to whatever host the page was opened on, so 127.0.0.1 and a LAN name both work and the
        websocket always carries the session cookie (same origin)."""
        if os.environ.get("CRM_PUBLIC_URL"):
            return self.public_url
        return f"http://localhost:{self.port}"

    @property
    def web_dir(self) -> Path:
        return self.data_dir / "web"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        return self.public_url.startswith("https://")

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.uploads_dir, self.documents_dir, self.snapshots_dir,
                     self.reports_dir):
            path.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """Return the secret key, generating a persistent one in the data dir on first run.

        A generated key keeps sessions valid across restarts without asking a newcomer to
        invent one; production refuses to start without a strong explicit key instead.
        """
        if self.secret_key:
            return self.secret_key
        self.ensure_dirs()
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        self.secret_key = key_file.read_text().strip()
        return self.secret_key


@lru_cache
def get_settings() -> Settings:
    return Settings()
