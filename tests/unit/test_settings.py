"""The one settings object: defaults, CRM_* variables, .env, the secret key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crm_app.settings import MIN_SECRET_LENGTH, PROJECT_ROOT, Settings, WeakSecretError

STRONG = "Zq3vT9-rW1xK7pLm2Nc8bYh5Fd4Gs6Aj0Ue_Io"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CRM_* variables and a working directory without a .env file."""
    for key in list(os.environ):
        if key.startswith("CRM_"):
            monkeypatch.delenv(key)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


def test_defaults(clean_env: Path) -> None:
    s = Settings()
    data = PROJECT_ROOT / "var"
    assert s.env == "development"
    assert s.data_dir == data
    assert s.database_url == f"sqlite:///{data / 'crm.db'}"
    assert s.is_sqlite
    assert s.broker_url == f"sqla+sqlite:///{data / 'broker.db'}"
    assert s.redis_url == ""
    assert s.port == 3000
    assert s.public_url == "http://127.0.0.1:3000"
    assert s.cookie_secure is False
    assert (s.login_max_failures, s.login_lock_minutes) == (5, 15)
    assert s.timezone == "Europe/Madrid"
    for sub in (s.uploads_dir, s.documents_dir, s.snapshots_dir, s.reports_dir):
        assert sub.parent == data  # generated files stay in the data dir


def test_data_dir_moves_every_derived_path(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "datos"))
    s = Settings()
    assert s.database_url == f"sqlite:///{tmp_path / 'datos' / 'crm.db'}"
    assert s.broker_url == f"sqla+sqlite:///{tmp_path / 'datos' / 'broker.db'}"
    s.ensure_dirs()
    for sub in ("uploads", "documents", "snapshots", "reports"):
        assert (tmp_path / "datos" / sub).is_dir()


def test_relative_data_dir_is_made_absolute(clean_env: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", "rel/var")
    s = Settings()
    assert s.data_dir.is_absolute()
    assert s.data_dir == (clean_env / "rel" / "var").resolve()


def test_env_overrides(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pg = "postgresql+psycopg://crm:clave@db.example:5432/crm"
    monkeypatch.setenv("CRM_DATABASE_URL", pg)
    monkeypatch.setenv("CRM_BROKER_URL", "redis://cola:6379/1")
    monkeypatch.setenv("CRM_REDIS_URL", "redis://cola:6379/0")
    monkeypatch.setenv("CRM_PORT", "8123")
    monkeypatch.setenv("CRM_PUBLIC_URL", "https://crm.example.es")
    monkeypatch.setenv("CRM_SMTP_HOST", "smtp.example.es")
    monkeypatch.setenv("CRM_SMTP_PORT", "587")
    monkeypatch.setenv("CRM_SMTP_STARTTLS", "true")
    monkeypatch.setenv("CRM_SESSION_DAYS", "3")
    s = Settings()
    assert s.database_url == pg and not s.is_sqlite
    assert s.broker_url == "redis://cola:6379/1"
    assert s.redis_url == "redis://cola:6379/0"
    assert s.port == 8123
    assert s.public_url == "https://crm.example.es"
    assert s.cookie_secure is True  # HTTPS deployments get Secure cookies
    assert (s.smtp_host, s.smtp_port, s.smtp_starttls) == ("smtp.example.es", 587, True)
    assert s.session_days == 3


def test_port_drives_default_public_url(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_PORT", "4001")
    assert Settings().public_url == "http://127.0.0.1:4001"


def test_invalid_value_is_refused(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_PORT", "tres mil")
    with pytest.raises(ValueError):
        Settings()
    monkeypatch.setenv("CRM_PORT", "3000")
    monkeypatch.setenv("CRM_ENV", "staging")
    with pytest.raises(ValueError):
        Settings()


def test_dotenv_file_is_read_and_env_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    (clean_env / ".env").write_text(
        "# configuración local\n"
        f"CRM_DATA_DIR={tmp_path / 'desde-env'}\n"
        "CRM_PORT=4100\n"
        "CRM_SMTP_HOST=correo.local\n"
        "OTRA_COSA=ignorada\n",
        encoding="utf-8",
    )
    s = Settings()
    assert s.data_dir == tmp_path / "desde-env"
    assert s.database_url == f"sqlite:///{tmp_path / 'desde-env' / 'crm.db'}"
    assert s.port == 4100
    assert s.smtp_host == "correo.local"
    monkeypatch.setenv("CRM_PORT", "4200")  # a real environment variable beats .env
    assert Settings().port == 4200


def test_secret_key_generated_once_into_data_dir(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    key_file = tmp_path / "data" / "secret_key"
    assert not key_file.exists()
    first = Settings().resolved_secret_key()
    assert len(first) >= MIN_SECRET_LENGTH
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # a new process (new Settings) reuses it, so sessions survive restarts
    assert Settings().resolved_secret_key() == first
    # another data dir gets another key
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "other"))
    assert Settings().resolved_secret_key() != first


def test_explicit_secret_key_wins_and_writes_nothing(clean_env: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRM_SECRET_KEY", STRONG)
    assert Settings().resolved_secret_key() == STRONG
    assert not (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize("weak", [
    None,  # unset
    "",
    "   ",
    "changeme",
    "CHANGEME",
    "secret",
    "demo",
    "x7Kp2",  # short
    STRONG[: MIN_SECRET_LENGTH - 1],  # one character too short
    "a" * 64,  # long but not random
    "changeme" * 5,
])
def test_production_refuses_weak_secret_keys(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path, weak: str | None) -> None:
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRM_ENV", "production")
    if weak is not None:
        monkeypatch.setenv("CRM_SECRET_KEY", weak)
    with pytest.raises(WeakSecretError, match="CRM_SECRET_KEY"):
        Settings()
    # and production never falls back to generating a key file
    assert not (tmp_path / "data" / "secret_key").exists()


def test_production_accepts_a_strong_secret_key(clean_env: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("CRM_SECRET_KEY", STRONG)
    s = Settings()
    assert s.env == "production"
    assert s.resolved_secret_key() == STRONG


@pytest.mark.parametrize("env", ["development", "test"])
def test_weak_key_allowed_outside_production(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                             env: str) -> None:
    monkeypatch.setenv("CRM_ENV", env)
    monkeypatch.setenv("CRM_SECRET_KEY", "dev")
    assert Settings().secret_key == "dev"


# --- allowed origins (CORS, websocket, cookie writes) and the login throttle ---


def test_default_origins_are_both_loopback_spellings_of_the_port(
        clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The frontend is built with localhost and Reflex's client swaps in the page's host, so a
    browser on this machine may come as localhost or 127.0.0.1: both must work, nothing else."""
    monkeypatch.setenv("CRM_PORT", "4001")
    s = Settings()
    assert s.allowed_origins == ["http://127.0.0.1:4001", "http://localhost:4001",
                                 "http://[::1]:4001"]
    assert "http://127.0.0.1:4000" not in s.allowed_origins  # another port is another origin
    monkeypatch.setenv("CRM_HOST", "0.0.0.0")  # listening everywhere is not an origin
    assert Settings().allowed_origins == ["http://localhost:4001", "http://127.0.0.1:4001",
                                          "http://[::1]:4001"]


def test_explicit_public_url_and_extra_origins(clean_env: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_PUBLIC_URL", "https://CRM.Example.es:443/crm/")
    monkeypatch.setenv("CRM_ALLOWED_ORIGINS",
                       " https://intranet.example.es/ ,http://192.168.1.20:3000,, "
                       "https://crm.example.es")
    s = Settings()
    assert s.allowed_origins == ["https://crm.example.es", "https://intranet.example.es",
                                 "http://192.168.1.20:3000"]
    assert s.browser_url == "https://CRM.Example.es:443/crm/"


def test_public_url_from_dotenv_counts_as_explicit(clean_env: Path) -> None:
    (clean_env / ".env").write_text("CRM_PUBLIC_URL=https://crm.example.es\n", encoding="utf-8")
    s = Settings()
    assert s.allowed_origins == ["https://crm.example.es"]  # no loopback spellings added
    assert s.browser_url == "https://crm.example.es"


@pytest.mark.parametrize("bad", ["crm.example.es", "ftp://crm.example.es", "null",
                                 "https://", "http://x:99999"])
def test_an_origin_that_is_not_an_http_url_is_refused(clean_env: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      bad: str) -> None:
    monkeypatch.setenv("CRM_ALLOWED_ORIGINS", f"https://ok.example.es,{bad}")
    with pytest.raises(ValueError, match="CRM_ALLOWED_ORIGINS"):
        Settings()


def test_login_throttle_defaults(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert (s.login_rate_ip, s.login_rate_account, s.login_rate_window) == (10, 10, 60)
    monkeypatch.setenv("CRM_ENV", "test")  # the suites log in hundreds of times from one IP
    assert (Settings().login_rate_ip, Settings().login_rate_account) == (1000, 1000)
    monkeypatch.setenv("CRM_LOGIN_RATE_IP", "3")  # explicit wins, also under test
    monkeypatch.setenv("CRM_LOGIN_RATE_ACCOUNT", "2")
    monkeypatch.setenv("CRM_LOGIN_RATE_WINDOW", "30")
    s = Settings()
    assert (s.login_rate_ip, s.login_rate_account, s.login_rate_window) == (3, 2, 30)
    monkeypatch.setenv("CRM_LOGIN_RATE_IP", "0")
    with pytest.raises(ValueError):
        Settings()


def test_login_concurrency_is_half_the_cores_unless_set(clean_env: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().login_concurrency == max(1, (os.cpu_count() or 2) // 2)
    monkeypatch.setenv("CRM_LOGIN_CONCURRENCY", "3")
    assert Settings().login_concurrency == 3
