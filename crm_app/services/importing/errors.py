"""The importer's file errors (nothing is imported when one is raised)."""

from __future__ import annotations

from crm_app.services.errors import DomainError


class FileUnreadable(DomainError):
    """The file cannot be read as a table: nothing is imported."""


class FileTooBig(FileUnreadable):
    """The file is over an import limit (rows, size, cell length): refused while it is read,
    before it takes the memory or the time its contents would need."""


__all__ = ["FileTooBig", "FileUnreadable"]
