"""The file importer, generic over leads, accounts, contacts and opportunities.

Modules, in the order an import runs through them:

- ``reader``: bytes -> table of strings with spreadsheet row numbers (CSV/XLSX, encodings,
  delimiters, quoting), within the ``limits`` (rows, size, cell length) checked while it
  reads; spreadsheets are parsed in a memory-capped child process (``excel``);
- ``mapping``: headers -> fields (Spanish/English names, custom fields, user mappings,
  templates);
- ``values`` and ``checks``: vectorised dates, amounts, emails, phones and NIFs;
- ``validate``: typed field columns + row errors;
- ``dedup``: duplicates within the file and against the database;
- ``writer``: bulk inserts/updates in the caller's transaction;
- ``service``: ``import_file``, ``undo_batch``, rejected-rows CSV (the public verbs);
- ``uploads``: the wizard's files in the data dir (deleted when the import ends, purged
  when abandoned), named by tokens;
- ``wizard``: the browser wizard's steps over an uploaded file (analyse, check, import, the
  reports of a check);
- ``bench``: the 100k-row benchmark against a naive csv + ORM importer.
"""

from crm_app.services.importing.errors import FileGone
from crm_app.services.importing.limits import ImportLimits
from crm_app.services.importing.mapping import (
    delete_template,
    list_templates,
    resolve_mapping,
    save_template,
)
from crm_app.services.importing.reader import FileTooBig, FileUnreadable, read_table
from crm_app.services.importing.service import (
    POLICIES,
    ImportResult,
    batch_rejected_csv,
    import_file,
    list_batches,
    undo_batch,
)

__all__ = ["POLICIES", "FileGone", "FileTooBig", "FileUnreadable", "ImportLimits", "ImportResult",
           "batch_rejected_csv", "delete_template", "import_file", "list_batches",
           "list_templates", "read_table", "resolve_mapping", "save_template", "undo_batch"]
