"""Leads list benchmark: ``python benchmarks/bench_leads.py [--rows 200000]`` (same as
``crm bench leads --json``). Prints one JSON line per metric; the code is
``crm_app.services.leads_bench``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    from crm_app.services.leads_bench import run

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    for row in run(args.rows, seed=args.seed, workdir=args.workdir, repeat=args.repeat,
                   log=lambda msg: print(msg, file=sys.stderr)):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
