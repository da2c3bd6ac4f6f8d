"""Backups: a consistent online copy of the database and the user files, and its restore.

- ``database``: the consistent copy (SQLite backup API, ``pg_dump --snapshot``) and the
  whole-database restore;
- ``fingerprint``: backend-independent row counts and table checksums, file digests;
- ``archive``: ``create_backup``/``verify_backup``/``restore_backup`` (the ``.tar.gz`` and
  its manifest);
- ``schedule``: the daily backup and its rotation.

The CLI (``crm backup``) and the Celery task (``crm.ops.backup``) are thin wrappers.
"""

from crm_app.services.backup.archive import (
    BackupSummary,
    create_backup,
    restore_backup,
    verify_backup,
)
from crm_app.services.backup.database import BackupError
from crm_app.services.backup.schedule import default_backup_path, rotate, scheduled_backup

__all__ = ["BackupError", "BackupSummary", "create_backup", "default_backup_path",
           "restore_backup", "rotate", "scheduled_backup", "verify_backup"]
