"""Analytics: the read side of the CRM.

``snapshot`` copies the transactional tables into a DuckDB file (plus Parquet) and is the only
module doing I/O; ``kpis`` are pure functions over a read-only snapshot connection, always
scoped (``scope.Scope``) and cut by ``scope.Filters`` over a ``periods.Period``; ``charts`` turns
their results into plotly figures. Nothing here imports Reflex, pages or components.
"""
