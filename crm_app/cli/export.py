"""``crm export all --out FILE.zip``: the whole company (every table as CSV and XLSX, custom
fields as columns, the documents' files) in one ZIP, as the system; audited. Never a secret.
Thin over ``services.export_all``."""

from __future__ import annotations

from pathlib import Path

import typer

from crm_app.cli.common import cli_session, fail
from crm_app.i18n import t

app = typer.Typer(help=t("export_all.cli.help"), no_args_is_help=True)


def _size(n: int) -> str:
    from crm_app.formatting import number

    return f"{number(n / 1_048_576, 1)} MB" if n >= 1_048_576 else f"{number(n / 1024, 1)} KB"


@app.command("all", help=t("export_all.cli.all_help"))
def export_everything(
    out: Path = typer.Option(..., "--out", help=t("export_all.cli.out_help")),
) -> None:
    from crm_app.formatting import number
    from crm_app.services import export_all as export_service
    from crm_app.services.actors import SYSTEM
    from crm_app.services.errors import DomainError

    with cli_session() as session:
        try:
            summary = export_service.export_all(session=session, actor=SYSTEM, out=out)
        except DomainError as exc:
            fail(exc.message)
        except OSError as exc:
            fail(t("export_all.err.failed", error=exc))
        export_service.audit_export(
            session=session, actor=SYSTEM, action="done", note="crm export all",
            after={"path": str(summary.path), "rows": summary.rows,
                   "tables": len(summary.tables), "documents": summary.documents,
                   "size": summary.size})
    typer.echo(t("export_all.cli.done", path=summary.path, size=_size(summary.size),
                 tables=len(summary.tables), rows=number(summary.rows),
                 documents=summary.documents))
    if summary.missing_documents:
        typer.echo(t("export_all.cli.missing", count=len(summary.missing_documents),
                     ids=", ".join(map(str, summary.missing_documents[:20]))), err=True)
