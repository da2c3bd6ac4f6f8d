"""Time a slice of the test suite: wall and CPU seconds (children included), min/median/max.

    .venv/bin/python benchmarks/suite_time.py --runs 3 -- tests/api -m "not slow"

Runs ``python -m pytest -p no:cacheprovider -q <args>`` ``--runs`` times in a row from the
project root and prints one JSON line per metric, like the other benchmarks. CPU is
``user + sys`` of the pytest process *and* every child it waited for (uvicorn servers, ``crm``
subprocesses, PostgreSQL is not waited for and is not counted), so it stays comparable on a
loaded machine where the wall time is not. A failing run is reported and stops the script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           *args], cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 5):
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"pytest failed ({proc.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default="")
    parser.add_argument("pytest_args", nargs="+")
    ns = parser.parse_args()
    walls, cpus = [], []
    for _ in range(ns.runs):
        wall, cpu = run_once(ns.pytest_args)
        walls.append(wall)
        cpus.append(cpu)
    load = os.getloadavg()[0]
    for metric, values in (("wall_s", walls), ("cpu_s", cpus)):
        print(json.dumps({"bench": "suite_time", "label": ns.label or " ".join(ns.pytest_args),
                          "metric": metric, "min": round(min(values), 1),
                          "median": round(statistics.median(values), 1),
                          "max": round(max(values), 1), "runs": ns.runs,
                          "load_avg_1m": round(load, 1)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
