"""Login flood benchmark: ``python benchmarks/bench_login_flood.py [--seconds 10 --runs 3]``.

How much an unauthenticated login flood slows everybody else down: ``/api/health`` latency
(median/min/max over the runs) while 40 connections post wrong passwords, next to the same
probe on an idle server. Every login attempt that reaches the password check costs one
argon2 verification (~50 ms of a core), so without a throttle 40 connections saturate the
CPU; with it, attempts over the limit are answered before hashing.

Scenarios (``wrk`` drives the flood, 2 threads, 40 connections):

- ``one-ip``: one address, random emails (the flood of issue 10);
- ``one-account``: 40 addresses (``X-Forwarded-For``, trusted from 127.0.0.1 as behind a
  local proxy), one email: caught by the per-account window;
- ``botnet``: a new address and a new email for every request: neither window applies, this
  is what a throttle cannot stop (the residual risk, measured for honesty).

The server is ``uvicorn --factory crm_app.api.app:build_api --proxy-headers`` on a fresh
SQLite database, with the production defaults (``CRM_ENV=development``: 10 attempts per
minute per IP and per account), restarted for every run so no run inherits another's
windows. ``--app-root DIR`` runs another checkout of the code (e.g. the commit before the
throttle) with the same script; several ``--app-root`` interleave their runs. Prints one JSON
line per scenario and checkout: the median of each run's probe medians, and their min/max.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

LUA = r"""
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
local mode = "__MODE__"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) c429 = 0; c401 = 0 end
function response(status, headers, body)
  if status == 429 then c429 = c429 + 1 elseif status == 401 then c401 = c401 + 1 end
end
function done(summary, latency, requests)
  local a, b = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("c429"); b = b + t:get("c401") end
  io.write(string.format("STATUS %d %d\n", a, b))
end
request = function()
  local email = "admin@flood.crm"
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded",
                   ["Accept"] = "application/json"}
  if mode ~= "one-account" then email = "u" .. math.random(1, 1e9) .. "@flood.crm" end
  if mode ~= "one-ip" then
    headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255)
      .. "." .. math.random(1, 254)
  end
  if mode == "one-account" then
    headers["X-Forwarded-For"] = "10.0.0." .. math.random(1, 40)
  end
  return wrk.format("POST", "/auth/login", headers,
                    "email=" .. email .. "&password=mala-clave-" .. math.random(1, 1e9))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data: Path, app_root: Path) -> str:
    """A migrated SQLite database with one user, made by the code under test."""
    url = f"sqlite:///{data / 'flood.db'}"
    script = (
        "from alembic.config import Config\n"
        "from alembic import command\n"
        "from sqlmodel import Session\n"
        "from crm_app.db import make_engine\n"
        "from crm_app.models import User, utcnow\n"
        "from crm_app.auth.passwords import hash_password\n"
        f"cfg = Config({str(app_root / 'alembic.ini')!r}); cfg.attributes['url'] = {url!r}\n"
        "command.upgrade(cfg, 'head')\n"
        f"e = make_engine({url!r})\n"
        "with Session(e) as s:\n"
        "    s.add(User(email='admin@flood.crm', name='Admin', role='admin',\n"
        "               password_hash=hash_password('correcto-caballo-bateria'),\n"
        "               created_at=utcnow()))\n"
        "    s.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=app_root, env=env_for(data, app_root),
                   check=True, capture_output=True)
    return url


def env_for(data: Path, app_root: Path, url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data), CRM_ENV="development", PYTHONPATH=str(app_root))
    if url:
        env["CRM_DATABASE_URL"] = url
    return env


def start(data: Path, url: str, app_root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "crm_app.api.app:build_api",
         "--port", str(port), "--log-level", "warning", "--proxy-headers"],
        cwd=app_root, env=env_for(data, app_root, url), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def probe(base: str, stop: threading.Event, out: list[float], every: float = 0.05) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            with contextlib.suppress(httpx.TransportError):  # a timeout counts as its cost
                c.get("/api/health")
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(every)


def one_run(mode: str | None, seconds: int, data: Path, url: str, app_root: Path,
            lua: Path) -> dict:
    proc, base = start(data, url, app_root)
    try:
        latencies: list[float] = []
        stop = threading.Event()
        prober = threading.Thread(target=probe, args=(base, stop, latencies), daemon=True)
        wrk_out = ""
        if mode is None:
            prober.start()
            time.sleep(seconds)
        else:
            lua.write_text(LUA.replace("__MODE__", mode))
            flood = subprocess.Popen(["wrk", "-t2", "-c40", f"-d{seconds}s", "--timeout", "30s",
                                      "-s", str(lua), base], stdout=subprocess.PIPE, text=True)
            time.sleep(1)  # let the flood build up before measuring
            prober.start()
            wrk_out = flood.communicate()[0]
        stop.set()
        prober.join(60)
        rps = next((float(line.split()[1]) for line in wrk_out.splitlines()
                    if line.startswith("Requests/sec")), 0.0)
        status = next((line.split()[1:] for line in wrk_out.splitlines()
                       if line.startswith("STATUS")), ["0", "0"])
        if not latencies:
            raise RuntimeError(f"no probe answered during the flood; wrk said:\n{wrk_out}")
        return {"median_ms": statistics.median(latencies), "probes": len(latencies),
                "flood_rps": rps, "flood_429": int(status[0]), "flood_401": int(status[1])}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # still hashing the flood's backlog
            proc.kill()
            proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--app-root", type=Path, action="append",
                        help="checkout to run (repeatable: runs interleave, so a busy machine "
                             "weighs on every checkout alike); default: this one")
    parser.add_argument("--scenarios", default="idle,one-ip,one-account,botnet")
    args = parser.parse_args()
    roots = args.app_root or [ROOT]
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="crm-flood-"))
    try:
        for scenario in args.scenarios.split(","):
            runs: dict[Path, list[dict]] = {root: [] for root in roots}
            for n in range(args.runs):
                for i, root in enumerate(roots):
                    data = tmp / f"{scenario}-{n}-{i}"
                    data.mkdir()
                    url = prepare(data, root)
                    result = one_run(None if scenario == "idle" else scenario, args.seconds,
                                     data, url, root, tmp / "flood.lua")
                    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
                    runs[root].append(result)
            for root, results in runs.items():
                medians = [r["median_ms"] for r in results]
                print(json.dumps({
                    "bench": "login_flood", "scenario": scenario, "app_root": str(root),
                    "health_median_ms": round(statistics.median(medians), 1),
                    "health_min_ms": round(min(medians), 1),
                    "health_max_ms": round(max(medians), 1),
                    "flood_rps": [r["flood_rps"] for r in results],
                    "flood_429": [r["flood_429"] for r in results],
                    "flood_401_argon2": [r["flood_401"] for r in results],
                    "probes": [r["probes"] for r in results], "runs": args.runs,
                    "load_avg_1m": [r["load_avg_1m"] for r in results]}), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
