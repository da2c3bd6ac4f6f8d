"""Backup benchmark: ``python benchmarks/bench_backup.py [--rows 200000] [--repeat 3]``.

Builds a SQLite database with ``--rows`` generated leads (the import benchmark's generator and
importer), then times ``create_backup`` and ``restore_backup`` (restore includes the integrity
check before and the verification after) ``--repeat`` times each. Prints one JSON line per
metric with min/median/max in seconds, the database and archive sizes, and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    from sqlmodel import Session, select

    from crm_app.models import User
    from crm_app.services.backup import create_backup, restore_backup
    from crm_app.services.importing.bench import fresh_db, generate_csv
    from crm_app.services.importing.service import import_file
    from crm_app.services.importing.writer import wait_for_checkpoints
    from crm_app.settings import Settings

    tmp = Path(args.workdir or tempfile.mkdtemp(prefix="crm-bench-backup-"))
    source_dir = tmp / "source"
    source_dir.mkdir(parents=True, exist_ok=True)
    print(f"Generando e importando {args.rows} leads…", file=sys.stderr)
    engine = fresh_db(source_dir / "crm.db")
    with Session(engine, expire_on_commit=False) as s:
        admin = s.exec(select(User).where(User.email == "admin@bench.crm")).one()
        import_file(session=s, actor=admin, entity="leads",
                    data=generate_csv(args.rows, seed=args.seed), filename="leads.csv")
        wait_for_checkpoints()
    engine.dispose()
    source = Settings(data_dir=source_dir, database_url=f"sqlite:///{source_dir / 'crm.db'}",
                      secret_key="")

    creates, restores = [], []
    archive = tmp / "crm.tar.gz"
    summary = None
    for i in range(args.repeat):
        archive.unlink(missing_ok=True)
        started = time.perf_counter()
        summary = create_backup(out=archive, settings=source)
        creates.append(time.perf_counter() - started)
        target_dir = tmp / f"target-{i}"
        target = Settings(data_dir=target_dir,
                          database_url=f"sqlite:///{target_dir / 'crm.db'}", secret_key="")
        started = time.perf_counter()
        restore_backup(archive=archive, settings=target)
        restores.append(time.perf_counter() - started)
        shutil.rmtree(target_dir)
    assert summary is not None

    def line(metric: str, values: list[float]) -> dict:
        return {"metric": metric, "rows": summary.rows, "leads": args.rows,
                "min_s": round(min(values), 2), "median_s": round(statistics.median(values), 2),
                "max_s": round(max(values), 2), "runs": len(values)}

    print(json.dumps(line("backup_create", creates)))
    print(json.dumps(line("backup_restore_verified", restores)))
    print(json.dumps({"metric": "sizes", "database_mb": round(
        (source_dir / "crm.db").stat().st_size / 1e6, 1),
        "archive_mb": round(summary.size / 1e6, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == "__main__":
    main()
