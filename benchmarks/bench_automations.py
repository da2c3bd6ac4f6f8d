"""Automation rules benchmark: ``python benchmarks/bench_automations.py [--opportunities
1000000]`` (same as ``crm bench automations --json``). One JSON line per metric; the code is
``crm_app.cli.bench_automations``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    from crm_app.cli.bench_automations import run

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    rows = run(args.opportunities, seed=args.seed, events=args.events, workdir=args.workdir,
               log=lambda msg: print(msg, file=sys.stderr))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
