"""The importer's file errors (nothing is imported when one is raised)."""

from __future__ import annotations

from crm_app.i18n import t
from crm_app.services.errors import DomainError


class FileUnreadable(DomainError):
    """The file cannot be read as a table: nothing is imported."""


class FileTooBig(FileUnreadable):
    """The file is over an import limit (rows, size, cell length): refused while it is read,
    before it takes the memory or the time its contents would need."""


class FileGone(FileUnreadable):
    """An uploaded file (or a report of its check) is no longer in the imports folder: the
    import ended, or it was purged after 24 h unused. The wizard starts again from the
    upload."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or t("import_limits.file_gone"))


__all__ = ["FileGone", "FileTooBig", "FileUnreadable"]
