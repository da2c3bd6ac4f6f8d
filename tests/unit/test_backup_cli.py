"""``crm backup create|verify|restore`` as an operator runs them: the command (Typer's
``CliRunner``, ``cli_runner``), each run on a ``CRM_DATA_DIR`` of its own."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from cli_runner import crm as run_crm
from live_api import prepare_database


def crm(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return run_crm(*args, data_dir=data_dir)


def teams(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "crm.db") as conn:
        return [r[0] for r in conn.execute("SELECT name FROM team ORDER BY name")]


@pytest.mark.slow
def test_backup_create_verify_and_restore_from_the_command_line(tmp_path: Path) -> None:
    source, target = tmp_path / "origen", tmp_path / "destino"
    source.mkdir()
    prepare_database(f"sqlite:///{source / 'crm.db'}")
    with sqlite3.connect(source / "crm.db") as conn:
        conn.executemany("INSERT INTO team (name) VALUES (?)", [("Norte",), ("Señorío",)])
    (source / "documents").mkdir()
    (source / "documents" / "oferta.pdf").write_bytes(b"%PDF oferta")
    archive = tmp_path / "copia.tar.gz"

    created = crm(source, "backup", "create", "--out", str(archive))
    assert created.returncode == 0, created.stderr
    assert f"Copia creada en {archive}" in created.stdout and "1 ficheros" in created.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    verified = crm(source, "backup", "verify", str(archive))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("Copia íntegra:")

    restored = crm(target, "backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "restaurada y verificada" in restored.stdout
    assert teams(target) == ["Norte", "Señorío"]
    assert (target / "documents" / "oferta.pdf").read_bytes() == b"%PDF oferta"

    with sqlite3.connect(target / "crm.db") as conn:
        conn.execute("INSERT INTO team (name) VALUES ('Después')")
    again = crm(target, "backup", "restore", str(archive))
    assert again.returncode == 1
    assert again.stderr.startswith("Error: El destino no está vacío")
    assert "usa --force" in again.stderr and "Traceback" not in again.stderr
    assert "Después" in teams(target)  # refused: untouched

    forced = crm(target, "backup", "restore", str(archive), "--force")
    assert forced.returncode == 0, forced.stderr
    assert teams(target) == ["Norte", "Señorío"]

    default = crm(target, "backup", "create")  # into $CRM_DATA_DIR/backups
    assert default.returncode == 0, default.stderr
    (made,) = (target / "backups").glob("crm-*.tar.gz")
    assert str(made) in default.stdout and stat.S_IMODE(made.stat().st_mode) == 0o600
