"""The dependency rule (import-linter contracts in .importlinter) and a clean ``ruff check``."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

from crm_app.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent
CONFIG = PROJECT_ROOT / ".importlinter"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300, check=False)


def lint_imports(config: Path) -> subprocess.CompletedProcess:
    # --no-cache: nothing written into the source tree
    return run(str(BIN / "lint-imports"), "--no-cache", "--no-logo", str(config))


def contracts() -> dict[str, dict[str, set[str]]]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    out = {}
    for section in parser.sections():
        if section.startswith("importlinter:contract:"):
            c = parser[section]
            out[section.rsplit(":", 1)[1]] = {
                "type": {c["type"]},
                "source": set(c.get("source_modules", "").split()),
                "forbidden": set(c.get("forbidden_modules", "").split()),
                "layers": [line.strip() for line in c.get("layers", "").splitlines()
                           if line.strip()],
            }
    return out


def test_import_contracts_are_kept() -> None:
    result = lint_imports(CONFIG)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "0 broken" in out and "BROKEN" not in out, out
    assert f"{len(contracts())} kept" in out, out


def test_contracts_state_the_architecture_rule() -> None:
    """Guard against contracts being weakened: each rule of ARCHITECTURE.md is present."""
    c = contracts()
    ui = {"reflex", "pages", "components", "crm_app.state"}
    assert c["analytics-no-ui"]["source"] == {"analytics"}
    assert ui <= c["analytics-no-ui"]["forbidden"]
    core = {"crm_app.settings", "crm_app.db", "crm_app.models", "crm_app.permissions",
            "crm_app.services", "crm_app.auth", "crm_app.i18n", "crm_app.formatting"}
    assert core <= c["core-pure"]["source"]
    assert any(m.startswith("crm_app.reports") for m in c["core-pure"]["source"])
    assert ui | {"celery", "crm_app.api", "crm_app.worker", "crm_app.cli"} <= \
        c["core-pure"]["forbidden"]
    assert c["adapters-no-ui"]["source"] == {"crm_app.api", "crm_app.worker", "crm_app.cli"}
    assert ui <= c["adapters-no-ui"]["forbidden"]
    assert c["components-no-pages"]["source"] == {"components"}
    assert "pages" in c["components-no-pages"]["forbidden"]
    assert all(v["type"] == {"forbidden"} for k, v in c.items()
               if k not in {"screens-independent", "sales-downwards"})
    # No accounts <-> opportunities <-> quotes circle: the shared reads sit below the three.
    assert c["sales-downwards"]["type"] == {"layers"}
    assert c["sales-downwards"]["layers"] == [
        "crm_app.services.quotes",
        "crm_app.services.opportunities | crm_app.services.accounts",
        "crm_app.services.sales_reads"]
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    assert parser["importlinter"].getboolean("include_external_packages")  # reflex, celery


def test_import_linter_reports_a_broken_contract(tmp_path: Path) -> None:
    """Negative control: the same setup flags a contract the code does break."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    for section in [s for s in parser.sections() if s.startswith("importlinter:contract:")]:
        parser.remove_section(section)
    parser["importlinter:contract:bogus"] = {
        "name": "crm_app.api does not import crm_app.services (false on purpose)",
        "type": "forbidden",
        "source_modules": "crm_app.api",
        "forbidden_modules": "crm_app.services",
    }
    config = tmp_path / "broken.ini"
    with config.open("w") as fh:
        parser.write(fh)
    result = lint_imports(config)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "crm_app.api" in result.stdout, result.stdout


def test_ruff_is_clean() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
