"""Import benchmark: ``python benchmarks/bench_import.py [--rows 100000]`` (same as
``crm bench import --json``). Prints one JSON line per metric."""

from __future__ import annotations

import argparse
import json

from crm_app.services.importing.bench import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--encoding", choices=("cp1252", "utf-8-sig"), default="cp1252")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = run(args.rows, seed=args.seed, baseline_rows=args.baseline_rows,
                 encoding=args.encoding, repeat=args.repeat)
    for line in result.lines():
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
