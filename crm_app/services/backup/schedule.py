"""The daily backup into ``$CRM_DATA_DIR/backups`` and its rotation (``CRM_BACKUP_KEEP``).

Names carry the UTC time (``crm-20261207T024500Z.tar.gz``), so name order is age order and
rotation needs no file dates. Manual backups without ``--out`` land there too and take part in
the rotation. A ``.part`` file left by a backup that died is removed after a day.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from crm_app.services.backup.archive import BackupSummary, create_backup
from crm_app.settings import Settings, get_settings

PREFIX, SUFFIX = "crm-", ".tar.gz"
STALE_PART_SECONDS = 24 * 3600


def backups_dir(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    path = settings.data_dir / "backups"
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def default_backup_path(settings: Settings | None = None, now: datetime | None = None) -> Path:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return backups_dir(settings) / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIX}"


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups (and stale partial ones); return the deleted."""
    backups = sorted(p for p in directory.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())
    doomed = backups[:-keep] if keep > 0 else []
    cutoff = time.time() - STALE_PART_SECONDS
    doomed += [p for p in directory.glob(f"{PREFIX}*{SUFFIX}.part") if p.stat().st_mtime < cutoff]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def scheduled_backup(*, settings: Settings | None = None,
                     now: datetime | None = None) -> BackupSummary:
    """Today's backup, then the rotation down to ``CRM_BACKUP_KEEP`` files."""
    settings = settings or get_settings()
    summary = create_backup(out=default_backup_path(settings, now), settings=settings)
    rotate(summary.path.parent, settings.backup_keep)
    return summary
