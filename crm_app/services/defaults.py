"""The default configuration: the organisation row and the default Spanish sales pipeline.

``ensure_organisation`` and ``ensure_default_pipeline`` are idempotent: they return what is
there and create only what is missing. They ``flush`` (so ids are available) but do not
commit: the caller owns the transaction.

The lists below (channels, sectors, size bands, reasons) are the suggested values forms and
the demo data use; they are suggestions, not constraints (the columns are free text).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from crm_app.models import Organisation, Pipeline, Stage, StageKind

DEFAULT_PIPELINE_NAME = "Ventas"


@dataclass(frozen=True)
class StageSpec:
    name: str
    kind: str
    probability: int
    stale_days: int | None = None
    required_fields: tuple[str, ...] = ()


DEFAULT_STAGES: tuple[StageSpec, ...] = (
    StageSpec("En análisis", StageKind.OPEN, 10, stale_days=14),
    StageSpec("Oferta presentada", StageKind.OPEN, 40, stale_days=10),
    StageSpec("En negociación", StageKind.OPEN, 70, stale_days=7),
    StageSpec("Ganada", StageKind.WON, 100),
    StageSpec("Cancelada", StageKind.LOST, 0),
    StageSpec("Perdida", StageKind.LOST, 0, required_fields=("lost_reason",)),
)

# Lead sources and account/opportunity channels share one vocabulary so analytics can cut
# by channel from the first lead to the won deal.
CHANNELS: tuple[str, ...] = (
    "Web", "Feria", "Referido", "Llamada en frío", "LinkedIn", "Google Ads", "Partner",
)

SECTORS: tuple[str, ...] = (
    "Comercio minorista", "Comercio mayorista", "Hostelería", "Construcción", "Industria",
    "Transporte y logística", "Servicios profesionales", "Salud", "Educación",
    "Agroalimentario", "Inmobiliario", "Tecnología",
)

SIZE_BANDS: tuple[str, ...] = ("1-9", "10-49", "50-249", "250+")

LOST_REASONS: tuple[str, ...] = (
    "Precio", "Eligió a la competencia", "Sin presupuesto", "Sin respuesta",
    "Proyecto aplazado", "No cumple requisitos",
)

DISCARD_REASONS: tuple[str, ...] = (
    "Sin interés", "No es decisor", "Datos de contacto erróneos", "Fuera de zona",
    "Sin presupuesto", "Duplicado",
)


def ensure_organisation(*, session: Session) -> Organisation:
    """The one organisation row, created with the defaults (EUR, Europe/Madrid) if missing."""
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    if org is None:
        org = Organisation()
        session.add(org)
        session.flush()
    return org


def default_tax_rate(*, session: Session) -> Decimal:
    """The IVA a product or a free quote line gets when none is given: the company's
    (Ajustes → Empresa), 21 % without a stored company."""
    rate = session.exec(select(Organisation.default_tax_rate)
                        .order_by(Organisation.id)).first()
    return Decimal(21) if rate is None else Decimal(rate)


def ensure_default_pipeline(*, session: Session) -> Pipeline:
    """The default pipeline, creating "Ventas" and its Spanish stages when there is none.

    If a pipeline is already marked default it is returned as it is (an admin may have renamed
    or reshaped it). Otherwise a pipeline named "Ventas" is made the default, or created. A
    pipeline without stages gets the default stages.
    """
    pipeline = session.exec(
        select(Pipeline).where(Pipeline.is_default == True)  # noqa: E712
        .order_by(Pipeline.position, Pipeline.id)
    ).first()
    if pipeline is None:
        pipeline = session.exec(
            select(Pipeline).where(Pipeline.name == DEFAULT_PIPELINE_NAME)
        ).first()
        if pipeline is None:
            pipeline = Pipeline(name=DEFAULT_PIPELINE_NAME, is_default=True, position=0)
        pipeline.is_default = True
        session.add(pipeline)
        session.flush()
    has_stages = session.exec(select(Stage.id).where(Stage.pipeline_id == pipeline.id)).first()
    if has_stages is None:
        session.add_all([
            Stage(pipeline_id=pipeline.id, name=spec.name, position=i, kind=str(spec.kind),
                  probability=spec.probability, stale_days=spec.stale_days,
                  required_fields=list(spec.required_fields))
            for i, spec in enumerate(DEFAULT_STAGES)
        ])
        session.flush()
    return pipeline


def pipeline_stages(*, session: Session, pipeline_id: int) -> list[Stage]:
    """The stages of a pipeline in their order."""
    return list(session.exec(
        select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position, Stage.id)
    ).all())


__all__ = ["CHANNELS", "DEFAULT_PIPELINE_NAME", "DEFAULT_STAGES", "DISCARD_REASONS",
           "LOST_REASONS", "SECTORS", "SIZE_BANDS", "StageSpec", "default_tax_rate",
           "ensure_default_pipeline",
           "ensure_organisation", "pipeline_stages"]
