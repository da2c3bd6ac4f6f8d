"""KPI benchmark: ``python benchmarks/bench_kpis.py [--opportunities 1000000]`` (same as
``crm bench kpis --json``). Prints one JSON line per metric; the code is ``analytics.bench``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    from analytics import bench
    from crm_app.models import Role, User
    from crm_app.reports.monthly import render_monthly_report

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    director = User(id=2, email="u2@bench.crm", name="Usuario 2", role=Role.DIRECTOR,
                    active=True)
    rows = bench.run(args.opportunities, seed=args.seed, workdir=args.workdir,
                     pdf=lambda con, month: render_monthly_report(user=director, month=month,
                                                                  con=con),
                     log=lambda msg: print(msg, file=sys.stderr))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
