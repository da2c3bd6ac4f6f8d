"""The one settings object: every knob is a ``CRM_*`` variable or a line in ``.env``.

Everything else (rxconfig, alembic, celery, the CLI) reads from here so the URLs and paths
cannot drift apart between processes.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets that must never protect a production deployment.
_WEAK_SECRETS = {"", "changeme", "secret", "dev", "development", "crm", "demo", "password"}
MIN_SECRET_LENGTH = 32

# Hosts that mean "this machine": without an explicit CRM_PUBLIC_URL the browser may open the
# app as localhost or 127.0.0.1 (the frontend is built with localhost, which Reflex's client
# rewrites to the page's host), so both spellings are allowed origins.
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` as a browser writes it in an ``Origin`` header.

    Lower case, no path, no default port (``https://crm.example.es:443/`` →
    ``https://crm.example.es``); ``None`` for anything that is not an http(s) URL with a host,
    including the literal ``null`` that sandboxed pages send.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal, bracketed as in the URL
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else \
        f"{scheme}://{host}:{port}"


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
    # Origins allowed to use the app from a browser (CORS, websocket, cookie writes):
    # CRM_PUBLIC_URL plus this comma-separated list; the full list after validation.
    allowed_origins: Annotated[list[str], NoDecode] = []

    session_days: int = 14
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # Login throttle (sliding window): failed or in-flight attempts per client IP and per
    # account (email) within ``login_rate_window`` seconds. Unset: 10 and 10, or 1000 under
    # CRM_ENV=test, whose suites log in hundreds of times from 127.0.0.1 (a test about the
    # throttle sets its own numbers).
    login_rate_ip: int | None = None
    login_rate_account: int | None = None
    login_rate_window: int = 60
    # Logins verified at the same time by one web process (argon2 is CPU- and memory-hard);
    # the rest wait their turn without holding a worker thread. Unset: half the CPU cores.
    login_concurrency: int = 0
    # Second factor (TOTP): "admin" or "all" sends the affected users without one to Mi cuenta
    # to set it up before anything else works; "" (default) leaves it optional.
    require_2fa: Literal["", "admin", "all"] = ""
    # "¿Has olvidado tu contraseña?": requests per e-mail and per client IP within the window
    # (seconds); the link lives ``password_reset_minutes``.
    reset_rate_account: int = Field(default=3, ge=1, le=1000)
    reset_rate_ip: int = Field(default=20, ge=1, le=100_000)
    reset_rate_window: int = Field(default=3600, ge=1, le=86_400)
    password_reset_minutes: int = Field(default=30, ge=5, le=1440)

    _public_url_explicit: bool = PrivateAttr(default=False)

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
    # minutes between two time sweeps of the automation rules (idle, overdue…)
    automation_sweep_minutes: int = Field(default=5, ge=1, le=1440)
    timezone: str = "Europe/Madrid"
    locale: str = "es_ES"

    # Import limits, checked while a file is read (README, «Límites de la importación»).
    import_max_rows: int = Field(default=1_000_000, ge=1)
    import_max_mb: int = Field(default=256, ge=1)  # the file as given (CSV, XLSX)
    import_max_unzipped_mb: int = Field(default=1024, ge=1)  # an XLSX once decompressed
    import_max_cell_chars: int = Field(default=32_767, ge=1)  # Excel's own cell limit
    import_sheet_memory_mb: int = Field(default=3072, ge=256)  # the process reading a sheet

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value if value.is_absolute() else (Path.cwd() / value).resolve()

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(",")) if part]
        return value

    @field_validator("login_rate_ip", "login_rate_account", "login_rate_window")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("debe ser un número entero mayor que 0")
        return value

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'crm.db'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.data_dir / 'broker.db'}"
        self._public_url_explicit = bool(self.public_url.strip())
        if not self._public_url_explicit:
            self.public_url = f"http://{self.host}:{self.port}"
        self.allowed_origins = self._derive_origins()
        default_rate = 1000 if self.env == "test" else 10
        if self.login_rate_ip is None:
            self.login_rate_ip = default_rate
        if self.login_rate_account is None:
            self.login_rate_account = default_rate
        if self.login_concurrency < 1:
            self.login_concurrency = max(1, (os.cpu_count() or 2) // 2)
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

    def _derive_origins(self) -> list[str]:
        origins: list[str] = []
        candidates = [self.public_url, *self.allowed_origins]
        if not self._public_url_explicit and self.host in _LOOPBACK_HOSTS:
            candidates += [f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}",
                           f"http://[::1]:{self.port}"]
        for value in candidates:
            origin = origin_of(value)
            if origin is None:
                raise ValueError(f"CRM_ALLOWED_ORIGINS/CRM_PUBLIC_URL: «{value}» no es una URL "
                                 "http(s) válida (ejemplo: https://crm.example.es)")
            if origin not in origins:
                origins.append(origin)
        # 0.0.0.0 and :: are where to listen, never where a browser comes from
        return [o for o in origins if o not in {f"http://0.0.0.0:{self.port}",
                                                 f"http://[::]:{self.port}"}]

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
        if self._public_url_explicit:
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
